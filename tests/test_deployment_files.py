"""No Docker engine runs here, so the compose file is checked by reading it against the Procfile."""
from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
PROCESSES = ("web", "worker", "beat", "flower")


def procfile() -> dict[str, str]:
    lines = (ROOT / "Procfile").read_text().splitlines()
    return dict(line.split(": ", 1) for line in lines if line.strip() and not line.startswith("#"))


def compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_procfile_names_the_four_processes():
    assert set(procfile()) == set(PROCESSES)


def test_compose_runs_the_procfile_commands_beside_postgres_and_redis():
    services = compose()["services"]
    assert {"postgres", "redis", *PROCESSES} <= set(services)
    for name, command in procfile().items():
        assert services[name]["command"] == command, name
        assert services[name]["build"] == "."


def test_every_process_gets_database_and_redis_urls():
    services = compose()["services"]
    for name in PROCESSES:
        environment = services[name]["environment"]
        assert environment["DATABASE_URL"].startswith("postgres://") and "@postgres:" in environment["DATABASE_URL"]
        assert environment["REDIS_URL"].startswith("redis://redis:")
    assert services["web"]["environment"]["PORT"] == "8000"
    assert "8000:8000" in services["web"]["ports"]


def test_processes_wait_for_healthy_services_and_migrations():
    services = compose()["services"]
    assert services["migrate"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    for name in PROCESSES:
        assert "migrate" in services[name]["depends_on"] or "postgres" in services[name]["depends_on"]


def test_dockerfile_installs_the_pinned_requirements_and_serves_web():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install -r requirements.txt" in dockerfile
    assert 'CMD ["python", "-m", "config.serve"]' in dockerfile
    assert procfile()["web"] == "python -m config.serve"


def test_compose_redis_keeps_queued_tasks_across_a_restart():
    command = compose()["services"]["redis"]["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"
    assert "redis-data:/data" in compose()["services"]["redis"]["volumes"]

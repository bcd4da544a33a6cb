"""No Docker engine runs here, so the compose file is checked by reading it against the Procfile."""
from __future__ import annotations

import re
from pathlib import Path

import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
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


def requirements(name: str) -> list[str]:
    lines = (ROOT / "requirements" / name).read_text().splitlines()
    return [line.strip() for line in lines if line.strip() and not line.startswith("#")]


def pinned_names(lines: list[str]) -> list[str]:
    return [re.split(r"[\[=]", line)[0].lower() for line in lines if not line.startswith("-r ")]


def test_dockerfile_installs_the_run_time_requirements_only_and_serves_web():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert re.findall(r"pip install .*", dockerfile) == ["pip install -r requirements/base.txt"]
    assert 'CMD ["python", "-m", "config.serve"]' in dockerfile
    assert procfile()["web"] == "python -m config.serve"


def test_every_version_is_pinned_once_and_tools_stay_out_of_the_run_time_set():
    base, dev = requirements("base.txt"), requirements("dev.txt")
    assert dev[0] == "-r base.txt"
    assert all(re.fullmatch(r"[\w.-]+(\[[\w,]+\])?==[\w.]+", line) for line in base + dev[1:])
    names = pinned_names(base) + pinned_names(dev)
    assert len(names) == len(set(names)), "a package pinned in both files"
    assert {"pytest", "pytest-django", "schemathesis", "py-spy", "honcho"} <= set(pinned_names(dev))
    assert not {"pytest", "pytest-django", "schemathesis", "py-spy", "honcho"} & set(pinned_names(base))
    assert {"django-cors-headers", "whitenoise"} <= set(pinned_names(base))


def test_the_venv_script_installs_the_development_set_and_notices_any_change():
    script = (ROOT / "scripts" / "ensure-venv.sh").read_text()
    assert "pip install --quiet -r requirements/dev.txt" in script
    assert "cat requirements/*.txt | sha256sum" in script
    assert not (ROOT / "requirements.txt").exists()


def test_the_image_leaves_local_state_and_development_material_out():
    ignored = {line.strip() for line in (ROOT / ".dockerignore").read_text().splitlines()}
    assert {".venv/", ".git/", "var/", "web/node_modules/", "tests/", "**/__pycache__/"} <= ignored


def test_static_files_are_collected_into_the_image_and_served():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert dockerfile.index("python manage.py collectstatic --noinput") > dockerfile.index("COPY . .")
    assert "core.middleware.StaticFilesMiddleware" in settings.MIDDLEWARE


def test_uploads_outlive_the_containers_of_the_processes_that_touch_them():
    services = compose()["services"]
    for name in ("web", "worker"):
        media_root = services[name]["environment"]["MEDIA_ROOT"]
        assert f"media-data:{media_root}" in services[name]["volumes"], name
    assert "media-data" in compose()["volumes"]


def test_web_and_the_workers_count_metrics_in_one_shared_directory():
    services = compose()["services"]
    for name in ("web", "worker"):
        directory = services[name]["environment"]["PROMETHEUS_MULTIPROC_DIR"]
        assert f"metrics-data:{directory}" in services[name]["volumes"], name
    assert "metrics-data" in compose()["volumes"]
    assert services["flower"]["environment"]["PROMETHEUS_MULTIPROC_DIR"] == ""


def test_flower_is_published_on_the_loopback_interface_only():
    assert compose()["services"]["flower"]["ports"] == ["127.0.0.1:5555:5555"]


def test_the_web_health_check_probes_healthz_by_address():
    # /healthz answers whatever the Host header (tests/core/test_security_http.py runs it with a public
    # ALLOWED_HOSTS), so the probe by address keeps working once ALLOWED_HOSTS names the real host.
    command = compose()["services"]["web"]["healthcheck"]["test"]
    assert "http://127.0.0.1:8000/healthz" in command[-1]


def test_compose_redis_keeps_queued_tasks_across_a_restart():
    command = compose()["services"]["redis"]["command"]
    assert command[command.index("--appendonly") + 1] == "yes"
    assert command[command.index("--maxmemory-policy") + 1] == "noeviction"
    assert "redis-data:/data" in compose()["services"]["redis"]["volumes"]

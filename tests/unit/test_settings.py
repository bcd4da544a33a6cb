"""Settings come from the environment, and production refuses an unsafe one."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.settings import TEST_ENVIRONMENT

ROOT = Path(__file__).resolve().parents[2]
PRINT_SETTINGS = (
    "import django; django.setup(); from django.conf import settings as s; "
    "print(s.DEBUG, s.DATABASES['default']['NAME'], s.REDIS_URL, s.ALLOWED_HOSTS, s.WS_ALLOWED_ORIGINS)"
)


def run_with(**env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in TEST_ENVIRONMENT and k != "SECRET_KEY"}
    environment.update(DJANGO_SETTINGS_MODULE="config.settings", **env)
    return subprocess.run([sys.executable, "-c", PRINT_SETTINGS], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=60)


def test_the_server_refuses_to_start_on_the_default_secret_key_with_debug_off():
    result = run_with(DEBUG="false")
    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


def test_settings_are_read_from_the_environment():
    result = run_with(DEBUG="false", SECRET_KEY="x" * 60, DATABASE_URL="postgres://u@db.internal:5432/erp_x",
                      REDIS_URL="redis://cache.internal:6379/3", ALLOWED_HOSTS="erp.example.com, api.example.com",
                      WS_ALLOWED_ORIGINS="https://erp.example.com")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[0] == (
        "False erp_x redis://cache.internal:6379/3 ['erp.example.com', 'api.example.com'] ['https://erp.example.com']"
    )


def test_the_socket_origin_allow_list_defaults_to_the_allowed_hosts():
    result = run_with(DEBUG="true", ALLOWED_HOSTS="erp.example.com,*")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().endswith("['erp.example.com', '*'] ['erp.example.com']")

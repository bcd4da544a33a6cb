"""Settings come from the environment, and production refuses an unsafe one."""
from __future__ import annotations

import json
import os
import re
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


def settings_values(code: str, **env: str):
    """`result` after `code` (statements over `s`, Django's settings) in a process with `env`."""
    environment = {k: v for k, v in os.environ.items() if k not in TEST_ENVIRONMENT and k != "SECRET_KEY"}
    environment.update(DJANGO_SETTINGS_MODULE="config.settings", SECRET_KEY="x" * 60, **env)
    program = f"import django, json\ndjango.setup()\nfrom django.conf import settings as s\n{code}\nprint(json.dumps(result))"
    result = subprocess.run([sys.executable, "-c", program], cwd=ROOT, env=environment, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_the_demo_is_on_with_debug_or_when_asked_for():
    assert settings_values("result = s.DEMO_ENABLED", DEBUG="false") is False
    assert settings_values("result = s.DEMO_ENABLED", DEBUG="true") is True
    assert settings_values("result = s.DEMO_ENABLED", DEBUG="false", DEMO_ENABLED="true") is True


CORS = "result = [s.CORS_ALLOWED_ORIGINS, [p.pattern for p in s.CORS_ALLOWED_ORIGIN_REGEXES]]"


def test_cors_follows_the_socket_allow_list_unless_set_apart():
    from_sockets = settings_values(CORS, ALLOWED_HOSTS="erp.example.com", WS_ALLOWED_ORIGINS="https://erp.example.com")
    assert from_sockets == [["https://erp.example.com"], []]
    from_hosts = settings_values(CORS, ALLOWED_HOSTS="erp.example.com")
    assert from_hosts == [[], [r"^https?://erp\.example\.com(?::\d+)?$"]]
    own = settings_values(CORS, WS_ALLOWED_ORIGINS="https://erp.example.com",
                          CORS_ALLOWED_ORIGINS="https://admin.example.com, http://localhost:5173")
    assert own == [["https://admin.example.com", "http://localhost:5173"], []]


LAYER_PREFIXES = """
import asyncio
from channels.layers import get_channel_layer
from realtime.fanout import _pipelined_publisher

async def layer_prefix():
    return get_channel_layer()._get_layer().prefix

result = [s.CHANNEL_LAYER_PREFIX, asyncio.run(layer_prefix()), _pipelined_publisher().prefix]
"""


def deployment_prefix(database_url: str, redis_url: str, **env: str) -> str:
    """The channel-layer prefix of a deployment; the layer and the fan-out's publisher agree on it."""
    setting, layer, publisher = settings_values(LAYER_PREFIXES, DATABASE_URL=database_url, REDIS_URL=redis_url,
                                                     **env)
    assert setting == layer == publisher
    return layer


def test_deployments_sharing_a_redis_server_get_their_own_channel_prefix():
    production = deployment_prefix("postgres://app@db:5432/erp_comm", "redis://shared:6379/0")
    staging = deployment_prefix("postgres://app@db:5432/erp_comm", "redis://shared:6379/1")
    other_database = deployment_prefix("postgres://app@db:5432/erp_comm_b", "redis://shared:6379/0")

    assert len({production, staging, other_database}) == 3
    # Every process of one deployment derives the same one, whatever way it reaches PostgreSQL.
    assert deployment_prefix("postgres://other:secret@pgbouncer:6432/erp_comm", "redis://shared:6379") == production
    assert re.fullmatch(r"[\w.-]{1,40}", production), "a valid start for channel names"
    assert deployment_prefix("postgres://app@db:5432/erp_comm", "redis://shared:6379/0",
                             CHANNEL_LAYER_PREFIX="erp-blue") == "erp-blue"

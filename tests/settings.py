"""Test settings: the production settings module, fed a test environment.

The server and worker processes that the end-to-end tests start get the same environment
(tests/support/stack.py), so every process talks to the same test database and Redis databases.
"""
import os
import shutil

# Runs that share this machine (several developers, CI) each take a slot: their own test
# database and their own Redis databases, so that one run's flush never touches another's state.
SLOT = int(os.environ.get("TEST_SLOT", "0"))
# Each slot takes two Redis databases: slots past 6 need a Redis of their own with more than the
# default 16 (`redis-server --port 6380 --databases 32`, then TEST_REDIS_URL=redis://127.0.0.1:6380).
REDIS = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379")

TEST_ENVIRONMENT = {
    "DEBUG": "false",
    "SECRET_KEY": "test-only-secret-key-not-for-production-0123456789",
    "SECURE_SSL_REDIRECT": "false",
    "ALLOWED_HOSTS": "localhost,127.0.0.1,testserver",
    "DATABASE_URL": os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/erp_comm"),
    # Application keys on one Redis database (flushed per test), the broker on another.
    "REDIS_URL": f"{REDIS}/{2 + 2 * SLOT}",
    "CELERY_BROKER_URL": f"{REDIS}/{3 + 2 * SLOT}",
    "CELERY_RESULT_BACKEND": f"{REDIS}/{3 + 2 * SLOT}",
    # Pub/sub channels are global across Redis databases: the prefix keeps runs apart.
    "CHANNEL_LAYER_PREFIX": f"asgitest{SLOT}",
    # Uploads of test runs stay out of the project's own media directory.
    "MEDIA_ROOT": f"/tmp/erp-comm-test-media-{SLOT}",
    "PRESENCE_OFFLINE_GRACE_SECONDS": "1",
    # The demo page and its people directory (off with DEBUG off unless asked for) are under test.
    "DEMO_ENABLED": "true",
    "LOG_LEVEL": "INFO",
    # The stack's servers and workers count their metrics together here (emptied below).
    "PROMETHEUS_MULTIPROC_DIR": f"/tmp/erp-comm-test-metrics-{SLOT}",
    # Digest emails of the test stack's workers go to an SMTP server a test starts on this port.
    "EMAIL_HOST": "127.0.0.1",
    "EMAIL_PORT": str(2525 + SLOT),
    "DJANGO_ALLOW_ASYNC_UNSAFE": "true",
}
os.environ.update(TEST_ENVIRONMENT)
shutil.rmtree(TEST_ENVIRONMENT["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)

from config.settings import *  # noqa: E402, F403
from config.settings import DATABASES  # noqa: E402

DATABASES["default"]["TEST"] = {"NAME": f"test_erp_comm_{SLOT}"}

"""Test settings: the production settings module, fed a test environment.

The server and worker processes that the end-to-end tests start get the same environment
(tests/support/stack.py), so every process talks to the same test database and Redis databases.
"""
import os

TEST_ENVIRONMENT = {
    "DEBUG": "false",
    "SECRET_KEY": "test-only-secret-key-not-for-production-0123456789",
    "SECURE_SSL_REDIRECT": "false",
    "ALLOWED_HOSTS": "localhost,127.0.0.1,testserver",
    "DATABASE_URL": os.environ.get("TEST_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/erp_comm"),
    # Application keys on one Redis database (flushed per test), the broker on another.
    "REDIS_URL": os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/9"),
    "CELERY_BROKER_URL": os.environ.get("TEST_BROKER_URL", "redis://127.0.0.1:6379/8"),
    "CELERY_RESULT_BACKEND": os.environ.get("TEST_BROKER_URL", "redis://127.0.0.1:6379/8"),
    "CHANNEL_LAYER_PREFIX": "asgitest",
    "PRESENCE_OFFLINE_GRACE_SECONDS": "1",
    "LOG_LEVEL": "INFO",
    "DJANGO_ALLOW_ASYNC_UNSAFE": "true",
}
os.environ.update(TEST_ENVIRONMENT)

from config.settings import *  # noqa: E402,F401,F403

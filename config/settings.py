"""Settings, read from the environment (see the settings table in README.md)."""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue
from redis.connection import parse_url as parse_redis_url

from config.cors import allowed_origins_and_patterns

BASE_DIR = Path(__file__).resolve().parent.parent

DEFAULT_SECRET_KEY = "dev-insecure-secret-key-change-me"


def env_bool(name: str, default: bool) -> bool:
    return os.environ.get(name, str(default)).strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = os.environ.get("SECRET_KEY", DEFAULT_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEFAULT_SECRET_KEY:
    raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1")
# Browser origins allowed to open a socket (full origins or host patterns, see realtime/origin.py);
# a missing Origin (non-browser client) is allowed.
WS_ALLOWED_ORIGINS = env_list("WS_ALLOWED_ORIGINS") or [host for host in ALLOWED_HOSTS if host != "*"]
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# Browser calls to the REST API from a front end on another origin, preflight included: the
# socket allow-list unless CORS_ALLOWED_ORIGINS names its own, in the same form (config/cors.py).
# Tokens travel in the Authorization header, never in cookies, so no credentials mode.
CORS_URLS_REGEX = r"^/api/"
CORS_ALLOWED_ORIGINS, CORS_ALLOWED_ORIGIN_REGEXES = allowed_origins_and_patterns(
    env_list("CORS_ALLOWED_ORIGINS") or WS_ALLOWED_ORIGINS
)
CORS_EXPOSE_HEADERS = ["Content-Disposition", "Retry-After"]
# The demo page (`/`) and its people directory: development servers only, unless asked for.
DEMO_ENABLED = env_bool("DEMO_ENABLED", DEBUG)

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "channels",
    "core",
    "realtime",
    "chat",
    "notifications",
    "presence",
    "workers",
]

MIDDLEWARE = [
    # Probes reach the process by its address, which is not among the public ALLOWED_HOSTS.
    "core.middleware.probes_before_host_check",
    "core.middleware.release_database_connection",
    "corsheaders.middleware.CorsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.StaticFilesMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "web"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/erp_comm")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=600, conn_health_checks=True)}
# Under ASGI each request runs in a thread of its own, and a persistent connection per thread
# leaked one PostgreSQL connection per REST request until "too many clients" (docs/performance.md).
# The ASGI server (config/serve.py turns this on) borrows from psycopg's pool instead; Celery
# workers, one thread per process, keep their persistent connection.
if env_bool("DATABASE_POOL", False):
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 2, "max_size": env_int("DATABASE_POOL_MAX_SIZE", 20), "timeout": 10,
    }
# Sockets reach the database (token checks, presence queries) through this many threads of their
# own per server process (realtime/db.py), not through the single thread Channels would use.
SOCKET_DATABASE_THREADS = env_int("SOCKET_DATABASE_THREADS", 4)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
# Every Redis client (keys, cache, channel layer, broker, results) gives up after these: a Redis
# that stops answering (a partition that drops packets) must not hold a request or a socket for
# as long as TCP retries (docs/reliability.md).
REDIS_SOCKET_TIMEOUT_SECONDS = env_float("REDIS_SOCKET_TIMEOUT_SECONDS", 2.0)
REDIS_CONNECT_TIMEOUT_SECONDS = env_float("REDIS_CONNECT_TIMEOUT_SECONDS", 2.0)
REDIS_TIMEOUTS = {"socket_timeout": REDIS_SOCKET_TIMEOUT_SECONDS, "socket_connect_timeout": REDIS_CONNECT_TIMEOUT_SECONDS}
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL)
if CELERY_BROKER_URL.startswith("redis://"):
    # The worker survives losing Redis instead of exiting (config/broker.py).
    CELERY_BROKER_TRANSPORT = "config.broker:Transport"

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "cache",
        "OPTIONS": REDIS_TIMEOUTS,
    }
}

# Redis pub/sub ignores database numbers: deployments sharing a Redis server would read each
# other's frames under one prefix. Each deployment's own (every process of it derives the same one)
# comes from its Redis and PostgreSQL databases.
CHANNEL_LAYER_PREFIX = os.environ.get("CHANNEL_LAYER_PREFIX") or "asgi-" + hashlib.sha256(
    f"{DATABASES['default']['NAME']}|{parse_redis_url(REDIS_URL).get('db') or 0}".encode()
).hexdigest()[:12]
# The pub/sub layer: one Redis round trip per send instead of several (docs/performance.md). It may drop
# across a Redis reconnect, which the pending replay from PostgreSQL covers.
CHANNEL_LAYER_BACKEND = os.environ.get("CHANNEL_LAYER_BACKEND", "channels_redis.pubsub.RedisPubSubChannelLayer")
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": CHANNEL_LAYER_BACKEND,
        "CONFIG": {
            # The core layer's blocking receive outlives any read timeout; the pub/sub layer polls.
            "hosts": [{"address": REDIS_URL, "max_connections": 1000,
                       **(REDIS_TIMEOUTS if CHANNEL_LAYER_BACKEND.endswith(".RedisPubSubChannelLayer")
                          else {"socket_timeout": None})}],
            "prefix": CHANNEL_LAYER_PREFIX,
        },
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Collected into the image (Dockerfile) and served by WhiteNoise; with DEBUG on, straight from the apps.
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "var" / "static"))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "var" / "media"))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "core.auth.TokenOrBearerAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_SCHEMA_CLASS": "core.api.schema.ApiSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    # Every action per user (core/api/viewsets.py), and some also per action.
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "user": os.environ.get("THROTTLE_USER", "600/min"),
        "login": os.environ.get("THROTTLE_LOGIN", "10/min"),
        "chat_send": os.environ.get("THROTTLE_CHAT_SEND", "60/min"),
        "chat_upload": os.environ.get("THROTTLE_CHAT_UPLOAD", "30/min"),
        "chat_typing": os.environ.get("THROTTLE_CHAT_TYPING", "30/min"),
        "chat_receipts": os.environ.get("THROTTLE_CHAT_RECEIPTS", "120/min"),
        "notification_actions": os.environ.get("THROTTLE_NOTIFICATION_ACTIONS", "120/min"),
    },
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    # Throttles key on REMOTE_ADDR, which the ASGI server sets from X-Forwarded-For only when the
    # peer is a trusted proxy (FORWARDED_ALLOW_IPS); DRF's default would trust any client's header.
    "NUM_PROXIES": 0,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "ERP real-time communication API",
    "DESCRIPTION": "Chat, presence and in-app notifications. WebSocket frames: docs/asyncapi.yaml.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # Tags and operation ids by resource (chats, notifications, auth) rather than by "v1".
    "SCHEMA_PATH_PREFIX": r"/api/v1(?:/communication)?",
}

# Celery: at-least-once with idempotent tasks (docs/reliability.md).
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", REDIS_URL)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = env_int("CELERY_TASK_TIME_LIMIT", 300)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 30
# Unacknowledged tasks return after this; it must exceed every task's time limit and countdown.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 60, **REDIS_TIMEOUTS}
CELERY_REDIS_SOCKET_TIMEOUT = REDIS_SOCKET_TIMEOUT_SECONDS
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = REDIS_CONNECT_TIMEOUT_SECONDS
# A publish to a broker that does not answer is tried once more, then refused: the client hears
# "retry shortly" within a few seconds instead of waiting on Celery's default retries.
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.2}
CELERY_RESULT_EXPIRES = 3600
# Chat sends, receipts and replays have a queue of their own, so that a large notification
# fan-out (or any backlog of the default queue, where ERP modules' tasks arrive by name) never
# sits in front of a chat message. A worker started without -Q consumes both; docs/deployment.md
# shows how to run them apart.
CELERY_CHAT_QUEUE = "chat"
CELERY_TASK_DEFAULT_QUEUE = "celery"
CELERY_TASK_QUEUES = [Queue(name, routing_key=name) for name in (CELERY_TASK_DEFAULT_QUEUE, CELERY_CHAT_QUEUE)]
CELERY_TASK_ROUTES = {
    # Periodic housekeeping and email (an SMTP server may be slow) stay behind everything else
    # (exact names win over patterns).
    **{name: {"queue": CELERY_TASK_DEFAULT_QUEUE} for name in (
        "chat.remove_unattached_uploads", "chat.remove_deleted_attachments", "chat.queue_email_digests",
        "chat.send_email_digest")},
    "chat.*": {"queue": CELERY_CHAT_QUEUE},
}
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# Task events (for Flower) cost a Redis publish per task and per state change: off, they cut
# Celery's own CPU per task by 30% (docs/performance.md). Flower switches worker events on at
# run time; CELERY_TASK_EVENTS=true also sends them from the start, with task-sent events.
CELERY_WORKER_SEND_TASK_EVENTS = env_bool("CELERY_TASK_EVENTS", False)
CELERY_TASK_SEND_SENT_EVENT = CELERY_WORKER_SEND_TASK_EVENTS
# Celery's Django fix-up closes the database connection around every task unless this is set:
# a new PostgreSQL connection per task cost 18% of the worker's CPU (docs/performance.md).
# CONN_MAX_AGE and the health checks still recycle old and broken connections.
CELERY_DB_REUSE_MAX = env_int("CELERY_DB_REUSE_MAX", 1000) or None
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_MAX_RETRIES = env_int("CELERY_TASK_MAX_RETRIES", 5)
CELERY_TASK_RETRY_BACKOFF_MAX = env_int("CELERY_TASK_RETRY_BACKOFF_MAX", 30)
# Extra task modules a worker loads (plugins; the fault tests load their poison task this way).
CELERY_IMPORTS = env_list("CELERY_EXTRA_TASK_MODULES")
# During a database outage a worker process holds its task and probes for this long before the
# task fails and retries; the outage is logged at most once per WORKER_OUTAGE_LOG_SECONDS.
WORKER_DATABASE_WAIT_SECONDS = env_float("WORKER_DATABASE_WAIT_SECONDS", 60.0)
WORKER_OUTAGE_LOG_SECONDS = env_float("WORKER_OUTAGE_LOG_SECONDS", 30.0)
# A worker checks its database connection before a task only after this long without one.
WORKER_CONNECTION_CHECK_AFTER_IDLE_SECONDS = env_float("WORKER_CONNECTION_CHECK_AFTER_IDLE_SECONDS", 1.0)

# Chat behaviour (docs/websocket-api.md).
CHAT_MAX_MESSAGE_LENGTH = env_int("CHAT_MAX_MESSAGE_LENGTH", 10_000)
CHAT_MAX_FRAME_BYTES = env_int("CHAT_MAX_FRAME_BYTES", 64 * 1024)
CHAT_PENDING_REPLAY_LIMIT = env_int("CHAT_PENDING_REPLAY_LIMIT", 500)
CHAT_MESSAGE_POLICY = os.environ.get("CHAT_MESSAGE_POLICY", "chat.policies.any_active_user")
CHAT_TYPING_TTL_SECONDS = env_float("CHAT_TYPING_TTL_SECONDS", 5.0)
CHAT_REST_SEND_WAIT_SECONDS = env_float("CHAT_REST_SEND_WAIT_SECONDS", 5.0)
# How long after sending its sender may still edit a message (deleting has no limit).
CHAT_EDIT_WINDOW_SECONDS = env_int("CHAT_EDIT_WINDOW_SECONDS", 900)
# How long the file of a deleted message's attachment stays in storage (for the admin) before beat removes it.
CHAT_DELETED_ATTACHMENT_RETENTION_SECONDS = env_int("CHAT_DELETED_ATTACHMENT_RETENTION_SECONDS", 24 * 3600)
# A server process hands socket sends to the workers in batches (realtime.replies): at most this many
# batches in flight (about the worker processes one server keeps busy), each of at most this many sends.
CHAT_SEND_BATCHES_IN_FLIGHT = env_int("CHAT_SEND_BATCHES_IN_FLIGHT", 2)
CHAT_SEND_BATCH_SIZE = env_int("CHAT_SEND_BATCH_SIZE", 500)
# Live deliveries a server process acknowledges in one task: those of this many seconds. It delays
# only the sender's delivered tick; a longer window means fewer tasks per message (docs/performance.md).
CHAT_DELIVERY_RECEIPT_WINDOW_SECONDS = env_float("CHAT_DELIVERY_RECEIPT_WINDOW_SECONDS", 0.5)
# Uploads (docs/rest-api.md): the type is sniffed from the content; these MIME types are allowed.
CHAT_ATTACHMENT_MAX_BYTES = env_int("CHAT_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024)
CHAT_ATTACHMENT_ALLOWED_TYPES = env_list(
    "CHAT_ATTACHMENT_ALLOWED_TYPES",
    "image/jpeg,image/png,image/gif,image/webp,video/mp4,video/webm,video/quicktime,audio/mpeg,audio/ogg,"
    "audio/mp4,audio/x-wav,application/pdf,text/plain,"
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document,"
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet,"
    "application/vnd.openxmlformats-officedocument.presentationml.presentation,"
    "application/vnd.oasis.opendocument.text,application/vnd.oasis.opendocument.spreadsheet",
)
# What one user's uploads may add up to, and how long an upload no message took is kept.
CHAT_ATTACHMENT_QUOTA_BYTES = env_int("CHAT_ATTACHMENT_QUOTA_BYTES", 1024 * 1024 * 1024)
CHAT_ATTACHMENT_UNATTACHED_TTL_SECONDS = env_int("CHAT_ATTACHMENT_UNATTACHED_TTL_SECONDS", 24 * 3600)
# Each user's event stream (realtime.stream) keeps at least this many days: a client resumes from
# any `seq` of that age; beat prunes older events.
EVENT_RETENTION_DAYS = env_int("EVENT_RETENTION_DAYS", 7)
# Larger request bodies are refused (413) before they are read, before authentication (config/asgi.py):
# an upload's file plus its multipart framing fits.
HTTP_MAX_BODY_BYTES = env_int("HTTP_MAX_BODY_BYTES", CHAT_ATTACHMENT_MAX_BYTES + 1024 * 1024)
WS_RATE_LIMITS = {
    "message": os.environ.get("WS_RATE_MESSAGE", "60/min"),
    "typing": os.environ.get("WS_RATE_TYPING", "30/min"),
    "other": os.environ.get("WS_RATE_OTHER", "120/min"),
}
WS_MAX_CONNECTIONS_PER_USER = env_int("WS_MAX_CONNECTIONS_PER_USER", 20)
# Each server process re-checks its sockets' tokens this often (a backstop: deleting a token
# closes its sockets at once) and watches Redis this often (a restart closes sockets with 1012).
WS_TOKEN_RECHECK_SECONDS = env_float("WS_TOKEN_RECHECK_SECONDS", 30.0)
WS_REDIS_WATCH_SECONDS = env_float("WS_REDIS_WATCH_SECONDS", 1.0)
# Each server process compares its sockets' stream positions with the streams' heads this often
# (realtime.watch); an event committed before the previous check that has not arrived live is
# written from the event stream.
WS_STREAM_CHECK_SECONDS = env_float("WS_STREAM_CHECK_SECONDS", 15.0)

# Presence (docs/presence.md).
PRESENCE_HEARTBEAT_SECONDS = env_float("PRESENCE_HEARTBEAT_SECONDS", 30.0)
PRESENCE_STALE_SECONDS = env_float("PRESENCE_STALE_SECONDS", 120.0)
PRESENCE_SWEEP_SECONDS = env_float("PRESENCE_SWEEP_SECONDS", 60.0)
PRESENCE_ONLINE_TTL_SECONDS = env_int("PRESENCE_ONLINE_TTL_SECONDS", 300)
PRESENCE_OFFLINE_GRACE_SECONDS = env_float("PRESENCE_OFFLINE_GRACE_SECONDS", 3.0)
PRESENCE_SWEEP_BATCH = env_int("PRESENCE_SWEEP_BATCH", 500)
PRESENCE_VISIBILITY_POLICY = os.environ.get("PRESENCE_VISIBILITY_POLICY", "presence.policies.contacts_see_each_other")
# Whose presence a user follows: a module with contact_ids() and are_contacts() (presence/selectors.py).
PRESENCE_CONTACTS = os.environ.get("PRESENCE_CONTACTS", "chat.selectors")

# Notifications (docs/notifications.md). Other modules add their own types through the environment.
NOTIFICATION_TYPES = [
    "message", "notice", "event", "event_reminder", "registration", "assignment", "grade", "announcement", "system",
    "escalation", *env_list("NOTIFICATION_EXTRA_TYPES"),
]
# A must-acknowledge notification is pushed again as a reminder this often until it is acknowledged;
# beat looks for due reminders and escalations every NOTIFY_ACK_CHECK_SECONDS.
NOTIFY_REMIND_SECONDS = env_int("NOTIFY_REMIND_SECONDS", 3600)
NOTIFY_ACK_CHECK_SECONDS = env_float("NOTIFY_ACK_CHECK_SECONDS", 60.0)
# End-to-end tracing (docs/operations.md, "Tracing"): off by default. On, every process makes
# spans and logs its trace ids; they are exported over OTLP when OTEL_EXPORTER_OTLP_ENDPOINT is set
# (OpenTelemetry's own OTEL_* variables configure the exporter and the sampler).
TRACING_ENABLED = env_bool("TRACING_ENABLED", bool(os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")))
TRACING_SERVICE_NAME = os.environ.get("OTEL_SERVICE_NAME", "erp-comm")

# `GET /metrics` (docs/operations.md) asks for `Authorization: Bearer <METRICS_TOKEN>` when this is set.
METRICS_TOKEN = os.environ.get("METRICS_TOKEN", "")
# A directory the servers and workers of one host share: each process counts there, and /metrics
# adds them up (prometheus_client's multiprocess mode). Unset, /metrics shows the serving process only.
PROMETHEUS_MULTIPROC_DIR = os.environ.get("PROMETHEUS_MULTIPROC_DIR", "")
if PROMETHEUS_MULTIPROC_DIR:
    os.makedirs(PROMETHEUS_MULTIPROC_DIR, exist_ok=True)
# Missed-message email (docs/notifications.md): one digest per user per NOTIFY_EMAIL_MIN_INTERVAL_SECONDS
# of what stayed unread NOTIFY_EMAIL_AFTER_SECONDS; beat looks for due digests every NOTIFY_EMAIL_CHECK_SECONDS.
NOTIFY_EMAIL_AFTER_SECONDS = env_int("NOTIFY_EMAIL_AFTER_SECONDS", 900)
NOTIFY_EMAIL_MIN_INTERVAL_SECONDS = env_int("NOTIFY_EMAIL_MIN_INTERVAL_SECONDS", 3600)
NOTIFY_EMAIL_CHECK_SECONDS = env_float("NOTIFY_EMAIL_CHECK_SECONDS", 300.0)
# Django's email backend; SMTP from the environment.
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_float("EMAIL_TIMEOUT", 10.0)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "ERP messages <noreply@localhost>")
NOTIFICATION_PUSH_BATCH = env_int("NOTIFICATION_PUSH_BATCH", 500)
# Hosts whose http(s) URLs a notification may link to; any other link must be a path on this site.
NOTIFICATION_LINK_HOSTS = [host.lower() for host in env_list("NOTIFICATION_LINK_HOSTS")]
# A notify() call not delivered this long after its commit (or after its last re-enqueue, doubling
# each time) is enqueued again by the outbox sweep, which beat runs this often.
NOTIFICATION_OUTBOX_RETRY_SECONDS = env_float("NOTIFICATION_OUTBOX_RETRY_SECONDS", 30.0)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "redact_tokens": {"()": "core.logging.RedactTokensFilter"},
        "trace_ids": {"()": "core.tracing.TraceIdFilter"},
        "throttled": {"()": "core.logging.ThrottleFilter", "seconds": 30},
    },
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s%(trace)s %(message)s"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["redact_tokens", "trace_ids"]},
    },
    "loggers": {
        # These retry every second or so while PostgreSQL or Redis is away: one line per 30 s each.
        **{name: {"filters": ["throttled"]} for name in ("psycopg.pool", "channels_redis.pubsub")},
        # Celery's "received" and "succeeded" lines, two per task, are CPU the workers spend on every
        # message (docs/performance.md). Failures are ERROR; retries are logged as WARNING
        # by workers.tasks.base.
        **{name: {"level": os.environ.get("CELERY_TASK_LOG_LEVEL", "WARNING")}
           for name in ("celery.app.trace", "celery.worker.strategy")},
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True

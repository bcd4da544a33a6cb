"""The Celery app. Tasks live in `workers.tasks`; the beat schedule in `workers.schedule`."""
from __future__ import annotations

import os
import time

from celery import Celery
from celery.signals import before_task_publish, setup_logging, task_prerun, worker_process_init, worker_process_shutdown
from celery.utils.saferepr import saferepr

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("erp_comm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["workers"])


@setup_logging.connect
def use_django_logging(**_kwargs) -> None:
    """Celery keeps Django's logging config, so the token-redacting filter applies to workers too."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)


@worker_process_init.connect
def open_connections_early(**_kwargs) -> None:
    """Opens the database and channel-layer connections before the first task (connections opened lazily made the first tasks slow: docs/performance.md)."""
    from django.db import connection

    from core import tracing
    from realtime.fanout import warm_up

    # In each pool process: the exporter's thread would not survive the fork.
    tracing.configure(role="worker")
    connection.ensure_connection()
    warm_up()


@before_task_publish.connect
def keep_private_text_out_of_task_reprs(body=None, headers=None, **_kwargs) -> None:
    """What Flower, task events and worker logs show of a task's arguments (its `argsrepr` and
    `kwargsrepr`) never holds a message's text; the task itself still gets it."""
    from core.logging import without_private_text

    if headers is None or not isinstance(body, tuple):
        return
    args, kwargs = body[0], body[1]
    headers["argsrepr"] = saferepr(without_private_text(args), 1024)
    headers["kwargsrepr"] = saferepr(without_private_text(kwargs), 1024)


@before_task_publish.connect
def stamp_publish_time(headers=None, **_kwargs) -> None:
    """For the queue-wait metric: when this project published the task (docs/operations.md)."""
    if headers is not None:
        headers["published_at"] = time.time()


@task_prerun.connect
def measure_queue_wait(task=None, **_kwargs) -> None:
    from core import metrics

    request = task.request
    published_at = getattr(request, "published_at", None) or (getattr(request, "headers", None) or {}).get("published_at")
    metrics.task_started(task.name, published_at)


@worker_process_shutdown.connect
def leave_the_metrics(**_kwargs) -> None:
    """Runs in the pool process that is exiting."""
    from core import metrics

    metrics.process_ended()

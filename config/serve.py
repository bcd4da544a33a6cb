"""Runs the ASGI server with the options this project relies on (docs/performance.md).

`python -m config.serve` honours PORT and HOST. Uvicorn with uvloop was measured faster than
Daphne; frames over 64 KiB are refused with close 1009, and permessage-deflate stays off
because it doubles memory per idle socket.
"""
from __future__ import annotations

import os
import sys

import uvicorn
from django.conf import settings

SWITCH_INTERVAL_SECONDS = 0.0005


def main(app: str = "config.asgi:application") -> None:
    """Serves `app` (an import string); the benchmark's baseline relay runs under the same options."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # Persistent connections leak under ASGI; the server borrows from a pool (config/settings.py).
    os.environ.setdefault("DATABASE_POOL", "true")
    import django

    django.setup()
    from core import metrics
    from core.logging import install_everywhere

    config = uvicorn.Config(
        app,
        host=os.environ.get("HOST", "0.0.0.0"),
        port=int(os.environ.get("PORT", "8000")),
        loop="uvloop",
        http="httptools",
        ws="websockets-sansio",
        ws_max_size=settings.CHAT_MAX_FRAME_BYTES,
        ws_per_message_deflate=False,
        proxy_headers=True,
        forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
        access_log=os.environ.get("ACCESS_LOG", "true").lower() == "true",
        lifespan="off",
    )
    # Broker publishes run on threads of their own (realtime/handover.py); with Python's default
    # 5 ms switch interval each hand-over waited for the busy event loop's thread to let go of the
    # GIL, which doubled a send's p50 (docs/performance.md).
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    server = uvicorn.Server(config)
    install_everywhere()
    server.run()
    # Its open-socket gauge no longer counts (multiprocess metrics, docs/operations.md).
    metrics.process_ended()


if __name__ == "__main__":
    main()

"""The ASGI entry point: HTTP goes to Django behind a body-size cap, sockets through origin check
and token auth."""
from __future__ import annotations

import os

import django
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)
from core import tracing  # noqa: E402

# Before Django builds its middleware chain, which the tracing adds to.
tracing.configure(role="web")
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import path  # noqa: E402

from chat.consumers import ChatConsumer  # noqa: E402
from core.body_limit import BodySizeLimitMiddleware  # noqa: E402
from notifications.consumers import NotificationConsumer  # noqa: E402
from realtime.auth import QueryTokenAuthMiddleware  # noqa: E402
from realtime.origin import OriginAllowListMiddleware  # noqa: E402

websocket_urlpatterns = [
    path("ws/chat/", ChatConsumer.as_asgi()),
    path("ws/notifications/", NotificationConsumer.as_asgi()),
]

application = ProtocolTypeRouter(
    {
        "http": BodySizeLimitMiddleware(django_asgi_app),
        "websocket": OriginAllowListMiddleware(QueryTokenAuthMiddleware(URLRouter(websocket_urlpatterns))),
    }
)

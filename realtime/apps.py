from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    name = "realtime"
    verbose_name = "Real-time transport"

    def ready(self) -> None:
        from realtime import auth  # noqa: F401 - deleting a token closes its sockets (a signal receiver)

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Real-time core"

    def ready(self) -> None:
        from core import auth  # noqa: F401 - deleting a token closes its sockets (a signal receiver)

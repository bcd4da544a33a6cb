from django.apps import AppConfig


class WorkersConfig(AppConfig):
    name = "workers"
    verbose_name = "Workers"

    def ready(self) -> None:
        from workers import failures, schedule  # noqa: F401 - the failure recorder and the beat schedule

from django.apps import AppConfig


class ModaiConfig(AppConfig):
    name = "modai"
    verbose_name = "Modai"

    def ready(self) -> None:
        from modai.api import schema  # noqa: F401 - registers the OpenAPI token scheme

from django.apps import AppConfig


class ModaiConfig(AppConfig):
    name = "modai"
    verbose_name = "Modai"

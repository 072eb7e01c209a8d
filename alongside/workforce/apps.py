from django.apps import AppConfig


class WorkforceConfig(AppConfig):
    name = "alongside.workforce"
    label = "workforce"

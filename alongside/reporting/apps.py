from django.apps import AppConfig


class ReportingConfig(AppConfig):
    name = "alongside.reporting"
    label = "reporting"

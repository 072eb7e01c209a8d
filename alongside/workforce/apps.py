from django.apps import AppConfig


class WorkforceConfig(AppConfig):
    name = "alongside.workforce"
    label = "workforce"

    def ready(self) -> None:
        from alongside.workforce import record_parts

        record_parts.register()

from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "alongside.care"
    label = "care"

    def ready(self) -> None:
        from alongside.care import record_parts

        record_parts.register()

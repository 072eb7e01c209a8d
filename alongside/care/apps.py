from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "alongside.care"
    label = "care"

    def ready(self) -> None:
        from alongside.care import counters, record_parts

        counters.register()
        record_parts.register()

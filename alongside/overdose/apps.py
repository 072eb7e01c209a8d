from django.apps import AppConfig


class OverdoseConfig(AppConfig):
    name = "alongside.overdose"
    label = "overdose"

    def ready(self) -> None:
        from alongside.overdose import record_parts

        record_parts.register()

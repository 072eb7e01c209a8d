from django.apps import AppConfig


class ParticipantsConfig(AppConfig):
    name = "alongside.participants"
    label = "participants"

    def ready(self) -> None:
        from alongside.participants import counters, record_parts

        counters.register()
        record_parts.register()

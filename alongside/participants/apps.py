from django.apps import AppConfig


class ParticipantsConfig(AppConfig):
    name = "alongside.participants"
    label = "participants"

    def ready(self) -> None:
        from alongside.participants import record_parts

        record_parts.register()

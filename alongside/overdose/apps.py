from django.apps import AppConfig


class OverdoseConfig(AppConfig):
    name = "alongside.overdose"
    label = "overdose"

    def ready(self) -> None:
        from alongside.overdose import record_parts, services
        from alongside.participants.deaths import register_death_hook

        record_parts.register()
        register_death_hook("overdose.debrief", services.debrief_for_death)

from django.apps import AppConfig


class ParticipantsConfig(AppConfig):
    name = "alongside.participants"
    label = "participants"

    def ready(self) -> None:
        from alongside.participants import counters, record_parts

        counters.register()
        record_parts.register()
        register_audit_names()


def register_audit_names() -> None:
    """What the audit page calls this app's screens (core.audit_words)."""
    from django.utils.translation import gettext_lazy as _

    from alongside.core.audit_words import register_name

    register_name("participants.participant", _("the record"))
    register_name("participants.caseload", _("the caseload"))
    register_name(
        "participants.duplicate_check", _("possible duplicates at registration")
    )

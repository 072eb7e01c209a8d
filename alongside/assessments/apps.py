from django.apps import AppConfig


class AssessmentsConfig(AppConfig):
    name = "alongside.assessments"
    label = "assessments"

    def ready(self) -> None:
        from django.utils.translation import gettext_lazy as _

        from alongside.assessments import record_parts
        from alongside.core.audit_words import register_name

        record_parts.register()
        register_name("assessments.safety_flags", _("open safety flags"))

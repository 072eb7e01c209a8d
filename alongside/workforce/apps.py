from django.apps import AppConfig


class WorkforceConfig(AppConfig):
    name = "alongside.workforce"
    label = "workforce"

    def ready(self) -> None:
        from alongside.workforce import record_parts

        record_parts.register()
        from django.utils.translation import gettext_lazy as _

        from alongside.core.audit_words import register_name

        register_name("workforce.team", _("the team page"))
        register_name("workforce.team_today", _("the team's Today"))
        register_name("workforce.peer_caseload", _("a peer's caseload"))

from django.apps import AppConfig


class CareConfig(AppConfig):
    name = "alongside.care"
    label = "care"

    def ready(self) -> None:
        from alongside.care import counters, record_parts

        counters.register()
        record_parts.register()
        from django.utils.translation import gettext_lazy as _

        from alongside.core.audit_words import register_name

        register_name("care.today", _("Today"))

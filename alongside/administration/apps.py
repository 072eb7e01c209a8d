from django.apps import AppConfig


class AdministrationConfig(AppConfig):
    name = "alongside.administration"
    label = "administration"
    verbose_name = "Organisation administration"

from django.apps import AppConfig


class ParticipantsConfig(AppConfig):
    name = "alongside.participants"
    label = "participants"

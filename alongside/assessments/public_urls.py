"""The one URL of Alongside that needs no sign-in besides the sign-in pages: a
participant's one-time assessment link (`assessments.links`)."""

from __future__ import annotations

from django.urls import path

from . import views

app_name = "self_assessment"
urlpatterns = [
    path("<str:token>/", views.self_assessment, name="form"),
]

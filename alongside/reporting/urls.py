from __future__ import annotations

from django.urls import path

from . import views

app_name = "reporting"
urlpatterns = [
    path("programs/", views.program_overview, name="overview"),
]

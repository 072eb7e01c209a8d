from __future__ import annotations

from django.urls import path

from . import dashboard_views, views

app_name = "care"
urlpatterns = [
    # Dashboards (dashboard_views.py)
    path("today/", dashboard_views.today, name="today"),
    # Recording care for one participant (views.py)
    path(
        "participants/<uuid:pid>/encounters/new/",
        views.encounter_create,
        name="encounter-create",
    ),
    path(
        "participants/<uuid:pid>/referrals/new/",
        views.referral_create,
        name="referral-create",
    ),
    path(
        "referrals/<uuid:rid>/status/",
        views.referral_transition,
        name="referral-transition",
    ),
    path(
        "participants/<uuid:pid>/treatment/new/",
        views.treatment_start,
        name="treatment-start",
    ),
    path("treatment/<uuid:tid>/end/", views.treatment_end, name="treatment-end"),
]

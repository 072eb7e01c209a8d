from __future__ import annotations

from django.urls import path

from . import views

app_name = "overdose"
urlpatterns = [
    path("overdose/", views.home, name="home"),
    path("overdose/naloxone/new/", views.naloxone_create, name="naloxone"),
    path("overdose/stock/new/", views.stock_create, name="stock"),
    path("overdose/events/new/", views.event_create, name="event-create"),
    path("overdose/events/<uuid:eid>/", views.event_detail, name="event"),
    path("overdose/follow-ups/<uuid:fid>/", views.follow_up_detail, name="follow-up"),
    path(
        "overdose/follow-ups/<uuid:fid>/attempts/",
        views.follow_up_attempt,
        name="follow-up-attempt",
    ),
    path(
        "overdose/follow-ups/<uuid:fid>/close/",
        views.follow_up_close,
        name="follow-up-close",
    ),
    path("overdose/debriefs/<uuid:did>/", views.debrief_detail, name="debrief"),
    path("overdose/settings/", views.settings_page, name="settings"),
    path("overdose/spikes/", views.spikes, name="spikes"),
    path("overdose/drug-checks/", views.drug_checks, name="drug-checks"),
    path("overdose/reports/", views.reports_page, name="reports"),
    path(
        "overdose/outreach-alerts/<uuid:oid>/send/",
        views.outreach_alert_send,
        name="outreach-send",
    ),
    path("overdose/spikes/check/", views.spikes_check, name="spikes-check"),
    path(
        "overdose/spike-alerts/<uuid:sid>/acknowledge/",
        views.spike_acknowledge,
        name="spike-acknowledge",
    ),
]

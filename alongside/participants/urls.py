from __future__ import annotations

from django.urls import path

from . import views

app_name = "participants"
urlpatterns = [
    path("", views.caseload, name="caseload"),
    path("new/", views.participant_create, name="create"),
    path("access-requests/", views.access_request, name="access-request"),
    path("<uuid:pid>/", views.participant_detail, name="detail"),
    path("<uuid:pid>/timeline/", views.participant_timeline, name="timeline"),
    path("<uuid:pid>/panels/<slug:key>/", views.participant_panel, name="panel"),
    path("<uuid:pid>/edit/", views.participant_edit, name="edit"),
    path("<uuid:pid>/consents/new/", views.consent_create, name="consent-create"),
    path(
        "<uuid:pid>/consents/<uuid:cid>/revoke/",
        views.consent_revoke,
        name="consent-revoke",
    ),
    path(
        "<uuid:pid>/consents/<uuid:cid>/notice/",
        views.consent_notice,
        name="consent-notice",
    ),
    path(
        "<uuid:pid>/disclosures/",
        views.disclosure_accounting,
        name="disclosures",
    ),
    path(
        "<uuid:pid>/disclosures/new/",
        views.disclosure_create,
        name="disclosure-create",
    ),
    path("<uuid:pid>/merge/", views.merge_start, name="merge"),
    path(
        "<uuid:pid>/merges/<uuid:mid>/",
        views.merge_decide,
        name="merge-decide",
    ),
    path("<uuid:pid>/enrolments/new/", views.enrolment_create, name="enrolment-create"),
    path(
        "<uuid:pid>/records/<slug:kind>/<uuid:rid>/",
        views.record_correct,
        name="record-correct",
    ),
    path(
        "<uuid:pid>/enrolments/<uuid:eid>/discharge/",
        views.enrolment_discharge,
        name="enrolment-discharge",
    ),
]

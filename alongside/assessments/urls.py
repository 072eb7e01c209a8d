from __future__ import annotations

from django.urls import path

from . import views

app_name = "assessments"
urlpatterns = [
    path(
        "participants/<uuid:pid>/assessments/new/<slug:code>/",
        views.assessment_create,
        name="create",
    ),
    path(
        "participants/<uuid:pid>/assessments/<uuid:aid>/",
        views.assessment_detail,
        name="detail",
    ),
    path(
        "participants/<uuid:pid>/assessment-links/new/",
        views.link_create,
        name="link-create",
    ),
    path(
        "participants/<uuid:pid>/assessment-links/<uuid:lid>/withdraw/",
        views.link_revoke,
        name="link-revoke",
    ),
    path("participants/<uuid:pid>/goals/new/", views.goal_create, name="goal-create"),
    path(
        "participants/<uuid:pid>/goals/<uuid:gid>/",
        views.goal_update,
        name="goal-update",
    ),
    path(
        "participants/<uuid:pid>/safety-flags/<uuid:fid>/response/",
        views.safety_flag_respond,
        name="flag-respond",
    ),
    # HL7 FHIR R4: an instrument as a Questionnaire, an assessment as its response.
    path(
        "fhir/Questionnaire/<slug:code>/",
        views.fhir_questionnaire,
        name="fhir-questionnaire",
    ),
    path(
        "participants/<uuid:pid>/assessments/<uuid:aid>/fhir/",
        views.fhir_response,
        name="fhir-response",
    ),
    # The program's figures and action log.
    path("programs/assessments/", views.program_assessments, name="program"),
    path("programs/<uuid:program_id>/actions/", views.program_actions, name="actions"),
    # A participant's one-time link: the one page besides sign-in that needs no
    # account (assessments.links).
    path("a/<str:token>/", views.self_assessment, name="self"),
]

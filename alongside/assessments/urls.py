from __future__ import annotations

from django.urls import path

from . import views

app_name = "assessments"
urlpatterns = [
    path(
        "<uuid:pid>/assessments/new/<slug:code>/",
        views.assessment_create,
        name="create",
    ),
    path(
        "<uuid:pid>/assessments/<uuid:aid>/",
        views.assessment_detail,
        name="detail",
    ),
    path(
        "<uuid:pid>/assessment-links/new/",
        views.link_create,
        name="link-create",
    ),
    path(
        "<uuid:pid>/assessment-links/<uuid:lid>/withdraw/",
        views.link_revoke,
        name="link-revoke",
    ),
    path("<uuid:pid>/goals/new/", views.goal_create, name="goal-create"),
    path("<uuid:pid>/goals/<uuid:gid>/", views.goal_update, name="goal-update"),
    path(
        "<uuid:pid>/safety-flags/<uuid:fid>/response/",
        views.safety_flag_respond,
        name="flag-respond",
    ),
]

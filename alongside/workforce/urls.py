from __future__ import annotations

from django.urls import path

from . import views

app_name = "workforce"
urlpatterns = [
    path("", views.team, name="team"),
    path("today/", views.team_today, name="today"),
    path("access-requests/<uuid:rid>/", views.access_decide, name="access-decide"),
    path("assign/<uuid:pid>/", views.assignment_create, name="assign"),
    path("<uuid:uid>/", views.peer_caseload, name="peer-caseload"),
]

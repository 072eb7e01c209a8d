from __future__ import annotations

from django.urls import path

from alongside.administration import views

app_name = "administration"
urlpatterns = [
    path("", views.organisation, name="organisation"),
    path("programs/new/", views.program_add, name="program-add"),
    path("programs/<str:program_id>/", views.program, name="program"),
    path("people/", views.people, name="people"),
    path("people/new/", views.person_add, name="person-add"),
    path("people/<str:membership_id>/", views.person, name="person"),
    path(
        "people/<str:membership_id>/<str:action>/",
        views.person_action,
        name="person-action",
    ),
    path("requests/", views.access_requests, name="requests"),
    path(
        "requests/<str:request_id>/decide/",
        views.access_request_decide,
        name="request-decide",
    ),
]

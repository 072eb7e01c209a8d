from __future__ import annotations

from django.urls import path

from alongside.core import views

app_name = "core"
urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("account/", views.account, name="account"),
    path(
        "account/sign-out-everywhere/",
        views.logout_everywhere,
        name="logout-everywhere",
    ),
    path("audit/", views.audit_log, name="audit"),
    # A trivial authenticated view: the floor the benchmarks compare pages against.
    path("ping/", views.ping, name="ping"),
]

from __future__ import annotations

from django.urls import path

from alongside.core import passwords, two_factor_views, views

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
    path(
        "account/password/",
        passwords.PasswordChange.as_view(),
        name="password-change",
    ),
    path("password-reset/", passwords.PasswordReset.as_view(), name="password-reset"),
    path(
        "password-reset/sent/",
        passwords.PasswordResetDone.as_view(),
        name="password-reset-done",
    ),
    path(
        "password-reset/<uidb64>/<token>/",
        passwords.PasswordResetConfirm.as_view(),
        name="password-reset-confirm",
    ),
    path(
        "password-reset/done/",
        passwords.PasswordResetComplete.as_view(),
        name="password-reset-complete",
    ),
    path("sign-in/code/", two_factor_views.verify, name="two-factor-verify"),
    path("account/two-factor/", two_factor_views.setup, name="two-factor-setup"),
    path(
        "account/two-factor/recovery-codes/",
        two_factor_views.recovery_codes,
        name="two-factor-recovery-codes",
    ),
    path("account/two-factor/off/", two_factor_views.turn_off, name="two-factor-off"),
    path("audit/", views.audit_log, name="audit"),
    path("audit/export.csv", views.audit_export, name="audit-export"),
    # A trivial authenticated view: the floor the benchmarks compare pages against.
    path("ping/", views.ping, name="ping"),
]

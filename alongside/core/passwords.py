"""Changing and resetting one's own password (Django's views, audited and throttled).

- **Change** (signed in, `core:password-change`): the old password and a new one that
  passes the validators; every *other* session of the person ends.
- **Reset** (`core:password-reset`): an e-mail with a one-time link valid for an hour
  (PASSWORD_RESET_TIMEOUT). The page always says the same thing, whether or not the
  address has an account, and at most three e-mails per account and ten per client
  address go out an hour (core.throttle.may_send_reset). Setting the new password ends
  every session of the person.

Every step writes an audit row (action `password`).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.http import HttpResponse
from django.urls import reverse_lazy
from django.utils.translation import gettext as _

from alongside.core import audit, throttle
from alongside.core.models import AuditEvent, Session, User
from alongside.core.sessions import digest, end_sessions_of


def _record(user: Any, reason: str, **changes: Any) -> None:
    audit.record(
        actor=user if getattr(user, "is_authenticated", False) else None,
        organisation=audit.organisation_of(user) if user is not None else None,
        action=AuditEvent.Action.PASSWORD,
        target=user,
        target_type="core.user",
        changes=changes,
        reason=reason,
    )


class PasswordChange(auth_views.PasswordChangeView):
    template_name = "core/password_change.html"
    success_url = reverse_lazy("core:account")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)  # saves; keeps this session signed in
        user = form.user
        current = digest(self.request.session.session_key or "")
        ended, _rows = (
            Session.objects.filter(user=user).exclude(session_key=current).delete()
        )
        _record(user, "password changed", other_sessions_ended=ended)
        messages.success(
            self.request,
            _(
                "Your password is changed. Other browsers where you were signed in are signed out."
            ),
        )
        return response


class PasswordReset(auth_views.PasswordResetView):
    template_name = "core/password_reset.html"
    email_template_name = "core/password_reset_email.txt"
    subject_template_name = "core/password_reset_subject.txt"
    success_url = reverse_lazy("core:password-reset-done")

    def form_valid(self, form: Any) -> HttpResponse:
        from django.shortcuts import redirect

        email = form.cleaned_data["email"]
        users = list(form.get_users(email))
        sent = bool(users) and throttle.may_send_reset(self.request, email)
        for user in users:
            _record(
                user,
                "password reset e-mail sent"
                if sent
                else "password reset e-mail held back",
                address=throttle.client_address(self.request),
            )
        if sent:
            return super().form_valid(form)
        return redirect(self.success_url)


class PasswordResetDone(auth_views.PasswordResetDoneView):
    template_name = "core/password_reset_done.html"


class PasswordResetConfirm(auth_views.PasswordResetConfirmView):
    template_name = "core/password_reset_confirm.html"
    success_url = reverse_lazy("core:password-reset-complete")

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        user: User = form.user
        ended = end_sessions_of(user)
        throttle.record_success(self.request, user.get_username())
        _record(user, "password reset", sessions_ended=ended)
        return response


class PasswordResetComplete(auth_views.PasswordResetCompleteView):
    template_name = "core/password_reset_complete.html"

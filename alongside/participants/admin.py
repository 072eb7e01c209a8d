"""Participants, consent and enrolments in the admin: read-only and pseudonymous.

Identifying fields are never shown (or decrypted) here; changes go through services,
which validate and audit them.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import F, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from alongside.core.admin import ReadOnlyAdminMixin, ReadOnlyInline
from alongside.participants.models import (
    IDENTIFYING_FIELDS,
    Assignment,
    Consent,
    Enrolment,
    Participant,
)


class PseudonymColumnMixin:
    """Show the participant by pseudonym without loading (and decrypting) the row."""

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()  # type: ignore[misc]
            .get_queryset(request)
            .annotate(participant_pseudonym=F("participant__pseudonym"))
        )

    @admin.display(description=_("participant"), ordering="participant__pseudonym")
    def participant_pseudonym(self, obj: object) -> str:
        return getattr(obj, "participant_pseudonym", "")


class EnrolmentInline(ReadOnlyInline):
    model = Enrolment
    fields = ("program", "site", "started_on", "ended_on", "discharge_reason")


class ConsentInline(ReadOnlyInline):
    model = Consent
    fields = ("kind", "recipient", "given_on", "expires_on", "revoked_on")


@admin.register(Participant)
class ParticipantAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("pseudonym", "organisation", "created_at", "archived_at")
    list_filter = ("organisation",)
    list_select_related = ("organisation",)
    search_fields = ("pseudonym",)
    exclude = (*IDENTIFYING_FIELDS, "name_index")
    inlines = (EnrolmentInline, ConsentInline)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Participant]:
        return super().get_queryset(request).defer(*IDENTIFYING_FIELDS, "name_index")


@admin.register(Consent)
class ConsentAdmin(PseudonymColumnMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "participant_pseudonym",
        "kind",
        "recipient",
        "given_on",
        "expires_on",
        "revoked_on",
    )
    list_filter = ("kind",)
    search_fields = ("participant__pseudonym",)  # the recipient is encrypted


@admin.register(Enrolment)
class EnrolmentAdmin(PseudonymColumnMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "participant_pseudonym",
        "program",
        "site",
        "started_on",
        "ended_on",
        "discharge_reason",
    )
    list_filter = ("program", "discharge_reason")
    list_select_related = ("program", "site")
    search_fields = ("participant__pseudonym",)


@admin.register(Assignment)
class AssignmentAdmin(PseudonymColumnMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("participant_pseudonym", "peer", "started_at", "ended_at")
    list_select_related = ("peer",)
    search_fields = ("participant__pseudonym", "peer__username")

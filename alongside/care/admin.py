"""Care records in the admin: read-only, pseudonymous, notes never shown.

Writes go through `alongside.care.services`, which validate and audit them.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from alongside.care.models import (
    Encounter,
    Referral,
    ReferralStatusChange,
    TreatmentEpisode,
)
from alongside.core.admin import ReadOnlyAdminMixin, ReadOnlyInline
from alongside.participants.admin import PseudonymColumnMixin


@admin.register(Encounter)
class EncounterAdmin(PseudonymColumnMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "participant_pseudonym",
        "program",
        "peer",
        "type",
        "modality",
        "occurred_at",
        "duration_minutes",
    )
    list_filter = ("program", "type", "modality")
    list_select_related = ("program", "peer")
    search_fields = ("participant__pseudonym",)
    exclude = ("note",)
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Encounter]:
        return super().get_queryset(request).defer("note")


class ReferralStatusChangeInline(ReadOnlyInline):
    model = ReferralStatusChange
    fields = ("from_status", "to_status", "changed_on", "changed_by", "note")


@admin.register(Referral)
class ReferralAdmin(PseudonymColumnMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "participant_pseudonym",
        "program",
        "service",
        "provider",
        "status",
        "made_on",
        "follow_up_on",
    )
    list_filter = ("program", "service", "status")
    list_select_related = ("program",)
    search_fields = ("participant__pseudonym", "provider")
    exclude = ("note",)
    inlines = (ReferralStatusChangeInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Referral]:
        return super().get_queryset(request).defer("note")


@admin.register(TreatmentEpisode)
class TreatmentEpisodeAdmin(PseudonymColumnMixin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "participant_pseudonym",
        "program",
        "type",
        "provider",
        "started_on",
        "ended_on",
        "end_reason",
    )
    list_filter = ("program", "type", "end_reason")
    list_select_related = ("program",)
    search_fields = ("participant__pseudonym", "provider")

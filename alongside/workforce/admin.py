"""Peer worker profiles in the admin (workforce configuration, not clinical data)."""

from __future__ import annotations

from django.contrib import admin

from alongside.workforce.models import PeerProfile


@admin.register(PeerProfile)
class PeerProfileAdmin(admin.ModelAdmin):
    list_display = ("user", "organisation", "caseload_capacity", "certification")
    list_filter = ("organisation",)
    list_select_related = ("user", "organisation")
    search_fields = ("user__username", "user__first_name", "user__last_name")
    autocomplete_fields = ("user",)
    readonly_fields = ("external_id",)

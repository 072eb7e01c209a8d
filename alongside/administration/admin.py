from __future__ import annotations

from django.contrib import admin

from alongside.administration.models import AccessRequest
from alongside.core.admin import ReadOnlyAdminMixin


@admin.register(AccessRequest)
class AccessRequestAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: requests are made and decided on the organisation's own pages."""

    list_display = ("membership", "role", "status", "requested_by", "decided_by")
    list_filter = ("status", "role")

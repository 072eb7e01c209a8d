"""The Django admin, for platform operators only: organisations, programs, sites,
users and the audit log.

Organisation administrators work on Alongside's own pages (the administration app),
where every change is a service with its audit row and grants that read participant
data need a second administrator. The Django admin is for the people who run the
platform, who hold no organisation membership (`PlatformAdminSite.has_permission`):

- it has no participant records at all (participants and care register nothing);
- memberships are read-only here: roles are granted on the organisation's pages;
- its sign-in is Alongside's own (throttled, two-factor), not the admin's form;
- every page it shows and every change it makes is an audit row on the platform
  chain (`PlatformAdminSite.admin_view`).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from alongside.core.models import (
    AuditEvent,
    Membership,
    Organisation,
    Program,
    Site,
    User,
)


class ReadOnlyAdminMixin:
    """View-only: no adding, changing or deleting through the admin."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "timezone", "created_at")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("external_id", "created_at")

    def get_readonly_fields(self, request: Any, obj: Any = None) -> Any:
        # Days are counted in this zone, and the due dates kept on the records with
        # it (participants.due): once the organisation exists its administrator
        # changes it under Administration, whose service rewrites them.
        fields = super().get_readonly_fields(request, obj)
        return (*fields, "timezone") if obj is not None else fields


class SiteInline(admin.TabularInline):
    model = Site
    extra = 0
    fields = ("name",)


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ("name", "organisation", "contact_due_days", "created_at")
    list_filter = ("organisation",)
    list_select_related = ("organisation",)
    search_fields = ("name",)
    readonly_fields = ("external_id", "created_at")
    inlines = (SiteInline,)

    def get_readonly_fields(self, request: Any, obj: Any = None) -> Any:
        # The intervals set the due dates kept on the records (participants.due):
        # changed under Administration → Programs, whose service rewrites them; a
        # program never moves to another organisation.
        fields = super().get_readonly_fields(request, obj)
        if obj is None:
            return fields
        return (*fields, "organisation", "contact_due_days", "review_after_days")


@admin.register(Site)
class SiteAdmin(admin.ModelAdmin):
    list_display = ("name", "program")
    list_filter = ("program__organisation",)
    list_select_related = ("program",)
    search_fields = ("name", "program__name")
    readonly_fields = ("external_id",)


class MembershipInline(ReadOnlyAdminMixin, admin.StackedInline):
    """Shown, not edited: roles are granted on the organisation's pages."""

    model = Membership
    fk_name = "user"
    extra = 0
    fields = ("organisation", "role", "programs", "supervisor", "is_active")


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    """Operators manage operator accounts here; a person who belongs to an
    organisation is shown read-only (their organisation's administrators manage
    them, and their password and second factor are theirs)."""

    list_display = ("username", "first_name", "last_name", "is_active", "is_staff")
    readonly_fields = ("external_id", "last_login", "date_joined")
    fieldsets = (
        *(DjangoUserAdmin.fieldsets or ()),
        (_("Identifier"), {"fields": ("external_id",)}),
    )
    inlines = (MembershipInline,)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.memberships.exists():
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and obj.memberships.exists():
            return False
        return super().has_delete_permission(request, obj)


# Two-factor devices hold secrets (a TOTP key gives every future code): not even
# operators see them. A lost phone is reset by the organisation's administrator
# (administration.services.two_factor_reset).
def _unregister_devices() -> None:
    from django_otp.plugins.otp_static.models import StaticDevice
    from django_otp.plugins.otp_totp.models import TOTPDevice

    for model in (TOTPDevice, StaticDevice):
        if admin.site.is_registered(model):
            admin.site.unregister(model)


_unregister_devices()


@admin.register(Membership)
class MembershipAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: a role is granted by an organisation administrator, and one that
    reads participant data only with a second one's approval."""

    list_display = ("user", "organisation", "role", "supervisor", "is_active")
    list_filter = ("organisation", "role", "is_active")
    list_select_related = ("user", "organisation", "supervisor")
    search_fields = ("user__username", "user__first_name", "user__last_name")
    readonly_fields = ("external_id", "created_at")


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The append-only audit log: readable, never added to, changed or deleted here."""

    list_display = (
        "created_at",
        "organisation",
        "actor",
        "action",
        "target_type",
        "target_id",
        "request_id",
    )
    list_filter = ("action", "organisation", "target_type")
    list_select_related = ("organisation", "actor")
    search_fields = ("target_id", "request_id", "participant_id", "actor__username")
    readonly_fields = [f.name for f in AuditEvent._meta.fields]
    actions = None
    show_full_result_count = False

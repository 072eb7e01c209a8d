"""Reads of the administrator's pages, scoped to the organisation; a fixed number of
queries whatever the number of people."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django_otp.plugins.otp_totp.models import TOTPDevice

from alongside.administration.models import AccessRequest
from alongside.core.models import Membership, Organisation, Program


def people(organisation: Organisation, *, search: str = "") -> QuerySet[Membership]:
    qs = (
        Membership.objects.filter(organisation=organisation)
        .select_related("user", "supervisor")
        .prefetch_related(Prefetch("programs", queryset=Program.objects.only("name")))
        .annotate(
            has_two_factor=Exists(
                TOTPDevice.objects.filter(user=OuterRef("user"), confirmed=True)
            ),
            waiting=Exists(
                AccessRequest.objects.filter(
                    membership=OuterRef("pk"), status=AccessRequest.Status.PENDING
                )
            ),
        )
        .order_by("user__first_name", "user__last_name", "user__username")
    )
    if search:
        qs = qs.filter(
            Q(user__username__icontains=search)
            | Q(user__first_name__icontains=search)
            | Q(user__last_name__icontains=search)
        )
    return qs


def membership_get(organisation: Organisation, external_id: str) -> Membership:
    """One membership of this organisation, else 404 (core.access's rule)."""
    from django.http import Http404

    try:
        return (
            Membership.objects.select_related("user", "supervisor", "organisation")
            .prefetch_related("programs")
            .get(organisation=organisation, external_id=external_id)
        )
    except (Membership.DoesNotExist, ValueError, ValidationError):
        raise Http404 from None


def program_get(organisation: Organisation, external_id: str) -> Program:
    from django.http import Http404

    try:
        return Program.objects.prefetch_related("sites").get(
            organisation=organisation, external_id=external_id
        )
    except (Program.DoesNotExist, ValueError, ValidationError):
        raise Http404 from None


def access_requests(
    organisation: Organisation, *, pending: bool
) -> QuerySet[AccessRequest]:
    qs = (
        AccessRequest.objects.filter(organisation=organisation)
        .select_related("membership__user", "requested_by", "decided_by", "supervisor")
        .prefetch_related(Prefetch("programs", queryset=Program.objects.only("name")))
    )
    if pending:
        return qs.filter(status=AccessRequest.Status.PENDING).order_by("created_at")
    return qs.exclude(status=AccessRequest.Status.PENDING).order_by("-decided_at")


def access_request_get(organisation: Organisation, external_id: str) -> AccessRequest:
    from django.http import Http404

    try:
        return access_requests(organisation, pending=True).get(external_id=external_id)
    except (AccessRequest.DoesNotExist, ValueError, ValidationError):
        raise Http404 from None


def decidable_count(membership: Membership) -> int:
    """Pending requests this administrator may decide: not made by them, not about
    them (the badge on the Access requests tab)."""
    return (
        AccessRequest.objects.filter(
            organisation_id=membership.organisation_id,
            status=AccessRequest.Status.PENDING,
        )
        .exclude(requested_by_id=membership.user_id)
        .exclude(membership__user_id=membership.user_id)
        .count()
    )

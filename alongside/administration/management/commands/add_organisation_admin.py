"""`alongside add_organisation_admin`: the platform operator's way to give an
organisation its administrators (and to create the organisation).

An administrator reads no participant data, so no second administrator is needed
for this; every role that does is granted afterwards on the organisation's own
pages, under the two-person rule. Create two administrators per organisation, so
that one can approve what the other asks.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.tokens import default_token_generator
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from alongside.core import audit
from alongside.core.models import AuditEvent, Membership, Organisation, Role, User


class Command(BaseCommand):
    help = (
        "Add an administrator to an organisation (created with --name if it does "
        "not exist) and print a one-time link to set their password."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--organisation", required=True, help="the slug")
        parser.add_argument("--name", help="create the organisation with this name")
        parser.add_argument("--timezone", default="America/New_York")
        parser.add_argument("--username", required=True)
        parser.add_argument("--email", required=True)
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")
        parser.add_argument(
            "--base-url",
            required=True,
            help="the site's address, e.g. https://alongside.example.org/",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        with transaction.atomic():
            org = Organisation.objects.filter(slug=opts["organisation"]).first()
            if org is None:
                if not opts["name"]:
                    raise CommandError(
                        f"no organisation {opts['organisation']!r}: give --name to "
                        "create it"
                    )
                org = Organisation(
                    name=opts["name"],
                    slug=opts["organisation"],
                    timezone=opts["timezone"],
                )
                try:
                    org.full_clean()
                except Exception as exc:
                    raise CommandError(f"organisation: {exc}") from None
                org.save()
                audit.record(
                    actor=None,
                    organisation=org,
                    action=AuditEvent.Action.CREATE,
                    target=org,
                    reason="created by a platform operator (command line)",
                )
            if User.objects.filter(username__iexact=opts["username"]).exists():
                raise CommandError(f"--username: {opts['username']!r} is taken")
            user = User(
                username=opts["username"],
                email=opts["email"],
                first_name=opts["first_name"],
                last_name=opts["last_name"],
            )
            user.set_unusable_password()
            user.save()
            membership = Membership.objects.create(
                user=user, organisation=org, role=Role.ADMIN
            )
            audit.record(
                actor=None,
                organisation=org,
                action=AuditEvent.Action.CREATE,
                target=membership,
                changes={"user": str(user.external_id), "role": Role.ADMIN},
                reason="administrator added by a platform operator (command line)",
            )
        uid = urlsafe_base64_encode(force_bytes(user.pk))
        token = default_token_generator.make_token(user)
        link = opts["base_url"].rstrip("/") + reverse(
            "core:password-reset-confirm", args=[uid, token]
        )
        admins = Membership.objects.filter(
            organisation=org, role=Role.ADMIN, is_active=True
        ).count()
        self.stdout.write(f"{user.username} administers {org.name}.")
        self.stdout.write(f"Set-password link (one use, within an hour): {link}")
        if admins < 2:
            self.stdout.write(
                "Add a second administrator: access to participant data needs one to "
                "approve what the other asks."
            )

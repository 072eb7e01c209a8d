"""Re-encrypt every encrypted field under the current (first) key.

Rotation: put the new key first in ALONGSIDE_ENCRYPTION_KEYS (keep the old one after
it), restart, run `alongside rotate_keys`, then remove the old key and restart again.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from alongside.core import audit
from alongside.core.crypto import EncryptedDateField, EncryptedTextField
from alongside.core.models import AuditEvent

BATCH = 2000


class Command(BaseCommand):
    help = (
        "Re-encrypt identifying fields with the first key in ALONGSIDE_ENCRYPTION_KEYS."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        total = 0
        for model in apps.get_models():
            if model._meta.proxy:
                continue  # the same table as its concrete model, rotated once there
            fields = [
                f.name
                for f in model._meta.concrete_fields
                if isinstance(f, EncryptedTextField | EncryptedDateField)
            ]
            if not fields:
                continue
            manager = model._default_manager
            count = 0
            ids = list(manager.order_by("pk").values_list("pk", flat=True))
            for start in range(0, len(ids), BATCH):
                with transaction.atomic():
                    rows = list(
                        manager.select_for_update()
                        .filter(pk__in=ids[start : start + BATCH])
                        .only("pk", *fields)
                    )
                    # Reading decrypts with any key; writing encrypts with the first.
                    manager.bulk_update(rows, fields)
                    count += len(rows)
            total += count
            self.stdout.write(f"{model._meta.label}: {count} rows re-encrypted")
        audit.record(
            actor=None,
            organisation=None,
            action=AuditEvent.Action.UPDATE,
            target_type="encryption.rotate_keys",
            changes={"rows": total},
        )
        self.stdout.write(self.style.SUCCESS(f"done: {total} rows"))

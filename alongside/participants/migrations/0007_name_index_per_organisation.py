"""The blind name index is keyed per organisation now (core.crypto.blind_index):
recompute it for every participant."""

from django.db import migrations

from alongside.core import crypto

BATCH = 2000


def rebuild(apps, schema_editor):
    participant = apps.get_model("participants", "Participant")
    rows = participant.objects.select_related("organisation").order_by("pk")
    batch = []
    for p in rows.iterator(chunk_size=BATCH):
        p.name_index = crypto.blind_index(
            p.given_name, p.family_name, organisation=p.organisation
        )
        batch.append(p)
        if len(batch) >= BATCH:
            participant.objects.bulk_update(batch, ["name_index"])
            batch = []
    if batch:
        participant.objects.bulk_update(batch, ["name_index"])


class Migration(migrations.Migration):
    dependencies = [("participants", "0006_encrypt_consent_free_text")]

    operations = [migrations.RunPython(rebuild, migrations.RunPython.noop)]

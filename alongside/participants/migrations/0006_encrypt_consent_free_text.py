"""A consent's recipient, purpose and information can name a person: encrypted."""

from django.db import migrations, models

import alongside.core.crypto
from alongside.core.migration_tools import encrypt_columns

FIELDS = ("recipient", "purpose", "information")
forward, backward = encrypt_columns("participants", "Consent", *FIELDS)
LABELS = {
    "recipient": "recipient",
    "purpose": "purpose",
    "information": "information that may be disclosed",
}


class Migration(migrations.Migration):
    dependencies = [("participants", "0005_base_model_times")]

    operations = [
        *[
            migrations.AlterField(
                model_name="consent",
                name=name,
                field=models.TextField(blank=True, verbose_name=LABELS[name]),
            )
            for name in FIELDS
        ],
        migrations.RunPython(forward, backward),
        *[
            migrations.AlterField(
                model_name="consent",
                name=name,
                field=alongside.core.crypto.EncryptedTextField(
                    blank=True, verbose_name=LABELS[name]
                ),
            )
            for name in FIELDS
        ],
    ]

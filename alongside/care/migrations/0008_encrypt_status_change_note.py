"""A referral status change's note is free text about a person: encrypted."""

from django.db import migrations, models

import alongside.core.crypto
from alongside.core.migration_tools import encrypt_columns

forward, backward = encrypt_columns("care", "ReferralStatusChange", "note")


class Migration(migrations.Migration):
    dependencies = [("care", "0007_base_model_times")]

    operations = [
        migrations.AlterField(
            model_name="referralstatuschange",
            name="note",
            field=models.TextField(blank=True, verbose_name="note"),
        ),
        migrations.RunPython(forward, backward),
        migrations.AlterField(
            model_name="referralstatuschange",
            name="note",
            field=alongside.core.crypto.EncryptedTextField(
                blank=True, verbose_name="note"
            ),
        ),
    ]

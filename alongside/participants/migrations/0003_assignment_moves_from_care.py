# Assignment moves from care to participants (access is scoped by it). The table is
# kept and renamed; nothing else changes in the database.

import django.db.models.deletion
import django.utils.timezone
import uuid
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('participants', '0002_deidentified_participant'),
        ('care', '0003_program_daily_counts'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Assignment',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('external_id', models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                        ('started_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('ended_at', models.DateTimeField(blank=True, null=True)),
                        ('assigned_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('participant', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='assignments', to='participants.participant')),
                        ('peer', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='assignments', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'ordering': ['-started_at'],
                        'db_table': 'care_assignment',
                        'indexes': [
                            models.Index(fields=['peer', 'ended_at'], name='assignment_peer_open'),
                            models.Index(fields=['participant', 'ended_at'], name='assignment_part_open'),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name='assignment', table=None),
    ]

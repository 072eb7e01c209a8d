# ProgramDailyCount moves from care to core (core.counters: the counter primitive and
# the metric registry every app uses). The table is kept and renamed.

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('core', '0003_audit_org_time_index'),
        ('care', '0004_assignment_moves_to_participants'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ProgramDailyCount',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('day', models.DateField()),
                        ('metric', models.CharField(max_length=32)),
                        ('value', models.IntegerField(default=0)),
                        ('program', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='core.program')),
                    ],
                    options={
                        'db_table': 'care_programdailycount',
                        'constraints': [
                            models.UniqueConstraint(fields=('program', 'metric', 'day'), name='program_daily_count_unique'),
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterModelTable(name='programdailycount', table=None),
    ]

# ProgramDailyCount now lives in core (core 0004 took over its table).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('care', '0004_assignment_moves_to_participants'),
        ('core', '0004_program_counters_move_from_care'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='ProgramDailyCount')],
            database_operations=[],
        ),
    ]

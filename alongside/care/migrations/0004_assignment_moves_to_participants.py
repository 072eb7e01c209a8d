# Assignment now lives in participants (participants 0003 took over its table).

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('care', '0003_program_daily_counts'),
        ('participants', '0003_assignment_moves_from_care'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name='Assignment')],
            database_operations=[],
        ),
    ]

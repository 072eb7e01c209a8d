import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    """Apart from 0017: PostgreSQL refuses to alter a table whose rows the same
    transaction updated under a deferred foreign key."""

    dependencies = [("participants", "0017_assignment_organisation")]

    operations = [
        migrations.AlterField(
            model_name="assignment",
            name="organisation",
            field=models.ForeignKey(
                editable=False,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="core.organisation",
            ),
        ),
        migrations.AddIndex(
            model_name="assignment",
            index=models.Index(
                condition=models.Q(("ended_at__isnull", True)),
                fields=["organisation", "peer", "participant"],
                name="assignment_open_caseload",
            ),
        ),
        migrations.AddIndex(
            model_name="participant",
            index=models.Index(
                condition=models.Q(("archived_at__isnull", False)),
                fields=["organisation", "id"],
                name="participant_archived",
            ),
        ),
    ]

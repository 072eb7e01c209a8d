import django.db.models.deletion
from django.db import migrations, models
from django.db.models import OuterRef, Subquery


def copy_organisation(apps, schema_editor):
    """Each assignment takes its participant's organisation."""
    Assignment = apps.get_model("participants", "Assignment")
    Participant = apps.get_model("participants", "Participant")
    Assignment.objects.update(
        organisation_id=Subquery(
            Participant.objects.filter(pk=OuterRef("participant_id")).values(
                "organisation_id"
            )[:1]
        )
    )


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0019_audit_action_merge"),
        ("participants", "0016_due_index_covers_counts"),
    ]

    operations = [
        migrations.AddField(
            model_name="assignment",
            name="organisation",
            field=models.ForeignKey(
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to="core.organisation",
            ),
        ),
        migrations.RunPython(
            copy_organisation, migrations.RunPython.noop, elidable=True
        ),
    ]

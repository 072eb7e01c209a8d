"""The database refuses changes to the audit log on both databases: UPDATE and DELETE
on SQLite too, and TRUNCATE on PostgreSQL (core.audit_guard)."""

from django.db import migrations

from alongside.core import audit_chain, audit_guard


def forwards(apps, schema_editor):
    audit_guard.install(schema_editor.connection)
    # Every organisation's chain (and the platform's) has a head from the start.
    chain = apps.get_model("core", "AuditChain")
    keys = ["platform"] + [
        audit_chain.chain_key(pk)
        for pk in apps.get_model("core", "Organisation").objects.values_list(
            "pk", flat=True
        )
    ]
    for key in keys:
        if not chain.objects.filter(key=key).exists():
            head = chain(key=key)
            head.seal = audit_chain.seal(head)
            head.save()


def backwards(apps, schema_editor):
    audit_guard.uninstall(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [("core", "0009_audit_verify_action")]
    operations = [migrations.RunPython(forwards, backwards)]

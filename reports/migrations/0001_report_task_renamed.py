"""The audit report's task moved from audits.tasks to reports.tasks: the outbox rows that name it
by its old module name its new one, so a report waiting in the outbox is still made after the
upgrade, and the audit's page still finds how making its report went."""

from django.db import migrations

TASKS = {"audits.tasks.generate_report_pdf": "reports.tasks.generate_report_pdf"}


def _rename_tasks(apps, renames: dict) -> None:
    message = apps.get_model("outbox", "OutboxMessage")
    for old, new in renames.items():
        message.objects.filter(task=old).update(task=new)


def forwards(apps, schema_editor):
    _rename_tasks(apps, TASKS)


def backwards(apps, schema_editor):
    _rename_tasks(apps, {new: old for old, new in TASKS.items()})


class Migration(migrations.Migration):
    dependencies = [("outbox", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards)]

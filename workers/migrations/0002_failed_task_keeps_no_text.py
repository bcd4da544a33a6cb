from django.db import migrations, models


def keep_no_text(apps, schema_editor):
    """Records written before this kept a task's arguments whole: they keep only the ids now."""
    # The rules themselves, not a copy: a record is scrubbed the same whenever it was written.
    from workers.failures import recorded_arguments, scrubbed

    FailedTask = apps.get_model("workers", "FailedTask")
    for failed in FailedTask.objects.iterator(chunk_size=500):
        arguments = failed.arguments if isinstance(failed.arguments, dict) else {}
        failed.arguments = recorded_arguments(arguments.get("args"), arguments.get("kwargs"))
        failed.exception_message = scrubbed(failed.exception_message)
        failed.traceback = scrubbed(failed.traceback)
        failed.save(update_fields=["arguments", "exception_message", "traceback"])


class Migration(migrations.Migration):

    dependencies = [
        ('workers', '0001_initial'),
    ]

    operations = [
        migrations.AlterField(
            model_name='failedtask',
            name='arguments',
            field=models.JSONField(default=dict, help_text="The ids among the task's arguments (kwargs), the names of the arguments left out, and the number of positional ones. Text is never kept."),
        ),
        migrations.RunPython(keep_no_text, migrations.RunPython.noop),
    ]

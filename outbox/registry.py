"""The tasks the outbox may run, each named by the app that owns it.

An app registers its Celery tasks by their dotted names with a label for staff
(`outbox_task("reports.tasks.generate_report_pdf", label=...)`) and queues them by that name. The
outbox imports a task only when it runs it, so it never imports the apps that use it.
"""

from django.utils.module_loading import import_string

_LABELS: dict[str, str] = {}


def outbox_task(name: str, *, label) -> str:
    """Register the task `name` (its dotted path, which is also its Celery name); returns the name."""
    _LABELS[name] = label
    return name


def is_registered(name: str) -> bool:
    return name in _LABELS


def task_label(name: str) -> str:
    """The label staff read for a task; the name itself for one no longer registered."""
    return _LABELS.get(name, name)


def task_callable(name: str):
    """The registered task `name`, to be called in this process; LookupError for any other name."""
    if name not in _LABELS:
        raise LookupError(f"{name} is not a task the outbox runs.")
    return import_string(name)

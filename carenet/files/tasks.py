"""The scheduled deletion of patients' files (FIL-2), run by the django-tasks worker and enqueued by
``manage.py scheduler``."""

from __future__ import annotations

from django_tasks import task

from carenet.files.services import file_sweep


@task()
def files_sweep() -> int:
    """FIL-2: deletes every file three months after its upload (the stored file and its row, exactly once)."""
    return file_sweep()

"""Periodic Ask-the-doctor work (CLN-4), run by the django-tasks worker and enqueued by ``manage.py scheduler``."""

from __future__ import annotations

from django_tasks import task

from carenet.questions.services import questions_route_overdue


@task()
def route_overdue_questions() -> int:
    """CLN-4: unanswered questions past their service time go to the facility's clinicians of the specialty."""
    return questions_route_overdue()

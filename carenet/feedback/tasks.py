"""Periodic feedback work (SMS-1, FBK-1), run by the django-tasks worker and enqueued by ``manage.py scheduler``."""

from __future__ import annotations

from django_tasks import task

from carenet.feedback.services import survey_invite_sample


@task()
def invite_survey_sample() -> int:
    """SMS-1, FBK-1: invite the random sample of yesterday's completed visits to rate them (a rerun invites nobody
    twice). Returns how many were invited."""
    return survey_invite_sample().invited

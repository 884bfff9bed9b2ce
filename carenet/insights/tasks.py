from __future__ import annotations

from django_tasks import task

from carenet.core import clock
from carenet.insights.services import roll_up_due


@task()
def roll_up_figures() -> int:
    """BEY-4: the dashboard's daily roll-up of the days that are over (yesterday, the last few re-rolled)."""
    return roll_up_due(now=clock.now())

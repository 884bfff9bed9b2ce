from __future__ import annotations

from django_tasks import task

from carenet.core import clock
from carenet.insights.services import roll_up_due, roll_up_today


@task()
def roll_up_figures() -> int:
    """BEY-4: the dashboard's daily roll-up of the days that are over (yesterday, the last few re-rolled)."""
    return roll_up_due(now=clock.now())


@task()
def roll_up_figures_today() -> int:
    """BEY-4: today's figures so far, for the dashboard to read instead of every slot and booking of the day."""
    return roll_up_today(now=clock.now())

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    """The coordinators' dashboard (BEY-4): the network's figures over a period — waiting time to the first free
    slot, no-shows, utilisation, cancellations, ratings, open complaints and requests — computed by the database."""

    name = "carenet.insights"
    verbose_name = _("Network figures")

    def ready(self) -> None:
        from django.conf import settings

        from carenet.core import periodic
        from carenet.insights.tasks import roll_up_figures, roll_up_figures_today

        periodic.register(
            "roll-up-figures", every_seconds=settings.CARENET_INSIGHTS_ROLLUP_SECONDS, task=roll_up_figures
        )
        periodic.register(
            "roll-up-figures-today", every_seconds=settings.CARENET_INSIGHTS_TODAY_SECONDS, task=roll_up_figures_today
        )

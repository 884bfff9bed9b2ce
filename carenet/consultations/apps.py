from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

#: How often waiting consultations of lines nobody is on duty for any more are let go (TEL-2).
SWEEP_SECONDS = 60


class ConsultationsConfig(AppConfig):
    """Online consultations (TEL-2, TEL-3, FBK-1): the on-demand queues to the next free clinician, the rooms where
    patient and clinician chat, talk and see each other (on-demand and booked video visits alike), the clinicians'
    duties, and the short survey afterwards."""

    name = "carenet.consultations"
    verbose_name = _("Online consultations")

    def ready(self) -> None:
        from carenet.consultations.tasks import consultations_sweep
        from carenet.core import periodic

        periodic.register("consultations-sweep", every_seconds=SWEEP_SECONDS, task=consultations_sweep)

from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class ArrivalConfig(AppConfig):
    """Arrival (CHK-1..5, BKG-5): check-in at reception, by SMS TAK and on the "jestem" page, late refusals,
    no-shows and their blocks. Above booking: its models (the visit's arrival fields, check-in attempts, block lifts)
    stay in booking, whose booking rules read the no-shows."""

    name = "carenet.arrival"
    label = "arrival"
    verbose_name = _("Arrival")

    def ready(self) -> None:
        from carenet.arrival import sms
        from carenet.arrival.tasks import enqueue_checkin_questions, prune_checkin_attempts, record_no_shows
        from carenet.core import periodic

        periodic.register(
            "checkin-questions", every_seconds=settings.CARENET_CHECKIN_QUESTION_SECONDS, task=enqueue_checkin_questions
        )
        periodic.register("no-show-sweep", every_seconds=settings.CARENET_NO_SHOW_SWEEP_SECONDS, task=record_no_shows)
        periodic.register("prune-checkin-attempts", every_seconds=3600, task=prune_checkin_attempts)
        sms.register()

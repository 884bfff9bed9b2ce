from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class BookingConfig(AppConfig):
    name = "carenet.booking"
    label = "booking"
    verbose_name = _("Appointments")

    def ready(self) -> None:
        from carenet.booking import sms
        from carenet.booking.tasks import enqueue_day_before_reminders, expire_holds
        from carenet.core import periodic

        periodic.register("expire-holds", every_seconds=settings.CARENET_HOLD_SWEEP_SECONDS, task=expire_holds)
        periodic.register("day-before-reminders", every_seconds=3600, task=enqueue_day_before_reminders)
        sms.register()

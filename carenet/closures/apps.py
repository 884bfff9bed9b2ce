from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClosuresConfig(AppConfig):
    """Closures (NET-3): a coordinator closes a facility or a clinician's schedule for a period; every visit booked
    inside it is cancelled with the closure, each patient is told once by SMS and offered the same service at the
    nearest open facilities and by telemedicine, with one tap to rebook; the call centre calls those who did not."""

    name = "carenet.closures"
    verbose_name = _("Closures")

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PregnancyConfig(AppConfig):
    """Pregnancy care (BKG-7): where a patient's pregnancy is led, the booking rule that follows from it, and the
    requests for pregnancy care elsewhere that coordinators resolve."""

    name = "carenet.pregnancy"
    verbose_name = _("Pregnancy care")

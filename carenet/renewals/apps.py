from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RenewalsConfig(AppConfig):
    """Prescription renewals (CLN-2): "Zamów receptę" and the prescribing clinician's queue."""

    name = "carenet.renewals"
    verbose_name = _("Prescription renewals")

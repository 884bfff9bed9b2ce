from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EncountersConfig(AppConfig):
    """The clinician's side of a visit (CLN-5, CLN-6, TEL-1): the day and call list, the visit record, closing it."""

    name = "carenet.encounters"
    verbose_name = _("Visits (clinician)")

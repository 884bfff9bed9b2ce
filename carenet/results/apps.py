from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResultsConfig(AppConfig):
    """Results from laboratories and imaging (CLN-3): HL7 v2 messages received over MLLP, the results and their
    observations, the review queue of messages that matched nobody, and who may collect a patient's results."""

    name = "carenet.results"
    verbose_name = _("Results")

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class QuestionsConfig(AppConfig):
    """Ask the doctor (CLN-4): a question about a completed visit, the clinician's inbox, the answer."""

    name = "carenet.questions"
    verbose_name = _("Ask the doctor")

from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class FeedbackConfig(AppConfig):
    """Feedback (FBK-1): "Oceń wizytę" after a completed visit, "Oceń nas" at any time, and the survey invitations
    sent to a random sample of completed visits."""

    name = "carenet.feedback"
    verbose_name = _("Feedback")

    def ready(self) -> None:
        from carenet.core import periodic
        from carenet.feedback.tasks import invite_survey_sample

        periodic.register(
            "invite-survey-sample", every_seconds=settings.CARENET_SURVEY_SECONDS, task=invite_survey_sample
        )

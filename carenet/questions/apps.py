from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class QuestionsConfig(AppConfig):
    """Ask the doctor (CLN-4): a question about a completed visit, the clinician's inbox, the answer."""

    name = "carenet.questions"
    verbose_name = _("Ask the doctor")

    def ready(self) -> None:
        from carenet.core import periodic
        from carenet.questions.tasks import route_overdue_questions

        periodic.register(
            "route-overdue-questions",
            every_seconds=settings.CARENET_QUESTION_ROUTING_SECONDS,
            task=route_overdue_questions,
        )

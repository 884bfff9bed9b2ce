from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "carenet.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        from carenet.core import checks, connection_checks, periodic  # noqa: F401 - checks registers the guardrails
        from carenet.core.tasks import prune_background_records

        connection_checks.connect()
        periodic.register("prune-background-records", every_seconds=3600, task=prune_background_records)

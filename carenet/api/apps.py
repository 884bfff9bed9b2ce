from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ApiConfig(AppConfig):
    name = "carenet.api"
    label = "api"
    verbose_name = _("API")

    def ready(self) -> None:
        from carenet.api.tasks import prune_idempotency_records
        from carenet.core import periodic

        periodic.register("prune-idempotency-records", every_seconds=3600, task=prune_idempotency_records)

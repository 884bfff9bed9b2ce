from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "carenet.accounts"
    label = "accounts"
    verbose_name = _("People and accounts")

    def ready(self) -> None:
        from carenet.accounts.tasks import prune_patient_reads
        from carenet.core import periodic

        periodic.register("prune-patient-reads", every_seconds=3600, task=prune_patient_reads)

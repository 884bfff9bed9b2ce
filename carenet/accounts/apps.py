from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "carenet.accounts"
    label = "accounts"
    verbose_name = _("People and accounts")

    def ready(self) -> None:
        from carenet.accounts import throttle
        from carenet.accounts.tasks import prune_patient_reads
        from carenet.core import periodic

        periodic.register("prune-patient-reads", every_seconds=3600, task=prune_patient_reads)
        # The per-login throttle counts failed logins from every door (user_login_failed); its rows expire.
        periodic.register("prune-login-records", every_seconds=3600, task=throttle.prune_login_records)

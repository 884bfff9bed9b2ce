from django.apps import AppConfig
from django.conf import settings
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    name = "carenet.messaging"
    label = "messaging"
    verbose_name = _("Messages")

    def ready(self) -> None:
        from carenet.core import periodic
        from carenet.messaging.tasks import dispatch_outbox, scrub_expired_secrets

        # The sweep: sends what a lost hint left behind and reclaims leases of crashed workers (SMS-3).
        periodic.register("dispatch-outbox", every_seconds=settings.CARENET_OUTBOX_SWEEP_SECONDS, task=dispatch_outbox)
        # First passwords never sent leave the stored messages once expired (sent ones at once).
        periodic.register("scrub-expired-secrets", every_seconds=3600, task=scrub_expired_secrets)

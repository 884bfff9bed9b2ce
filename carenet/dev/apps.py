from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


def refuse_in_production(app: str, check_id: str) -> None:
    """A development-only app installed with CARENET_DEBUG off stops CareNet from starting: its pages have no
    login (the SMS inbox shows first passwords and replies as any patient; the test bank confirms anyone). The same
    refusal as the system check ``check_id`` (``carenet.core.checks``), raised even before the checks run."""
    if not settings.DEBUG:
        raise ImproperlyConfigured(
            f"{check_id}: {app} is for development only and must not be installed when CARENET_DEBUG is off "
            "(switch off CARENET_SMS_DEV_INBOX and CARENET_TEST_BANK_ENABLED)."
        )


class DevConfig(AppConfig):
    """Development-only backends: the developer SMS inbox over the local gateway (SMS-4) and the fake SMSAPI
    gateway for tests and benchmarks. Installed only when CARENET_SMS_DEV_INBOX is on; refused in production."""

    name = "carenet.dev"
    label = "dev"
    verbose_name = _("Development tools")

    def ready(self) -> None:
        refuse_in_production(self.name, "carenet.E001")

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TestBankConfig(AppConfig):
    """ACC-5: a local OpenID Connect provider posing as a bank, for the demo and the tests — never for production."""

    name = "carenet.dev.testbank"
    label = "testbank"
    verbose_name = _("Test bank (development)")

    def ready(self) -> None:
        from carenet.dev.apps import refuse_in_production

        refuse_in_production(self.name, "carenet.E002")

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo network builder and its commands (``seed_demo``, ``print_demo_logins``, ``totp_code``): the top
    floor of the house, which may import every app and which no app imports."""

    name = "carenet.demo"
    label = "demo"
    verbose_name = _("Demo network")

from django.apps import AppConfig


class PortalConfig(AppConfig):
    name = "carenet.portal"
    label = "portal"

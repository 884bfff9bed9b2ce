from django.apps import AppConfig


class NetworkConfig(AppConfig):
    name = "carenet.network"
    label = "network"

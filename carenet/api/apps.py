from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "carenet.api"
    label = "api"

from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "carenet.web"
    label = "web"
    verbose_name = "CareNet web doors"

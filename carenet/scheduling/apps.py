from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "carenet.scheduling"
    label = "scheduling"

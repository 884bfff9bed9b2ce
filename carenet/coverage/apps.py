from django.apps import AppConfig


class CoverageConfig(AppConfig):
    name = "carenet.coverage"
    label = "coverage"

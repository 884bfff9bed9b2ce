from django.apps import AppConfig


class StaffConfig(AppConfig):
    name = "carenet.staff"
    label = "staff"

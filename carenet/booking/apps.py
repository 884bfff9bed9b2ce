from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "carenet.booking"
    label = "booking"

"""URLs of the B6 peer project: django-appointment's own."""

from django.urls import include, path

urlpatterns = [path("appointment/", include("appointment.urls"))]

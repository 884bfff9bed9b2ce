from django.urls import path

from carenet.messaging import views

app_name = "messaging"

urlpatterns = [
    path("webhook/smsapi/<str:secret>/inbound", views.smsapi_inbound, name="smsapi_inbound"),
    path("webhook/smsapi/<str:secret>/report", views.smsapi_report, name="smsapi_report"),
]

from django.urls import path

from carenet.messaging import views

app_name = "messaging"

urlpatterns = [
    path("webhook/smsapi/<str:secret>/inbound", views.smsapi_inbound, name="smsapi_inbound"),
    path("webhook/smsapi/<str:secret>/report", views.smsapi_report, name="smsapi_report"),
    path("dev/", views.dev_inbox, name="dev_inbox"),
    path("dev/send-now/", views.dev_send_now, name="dev_send_now"),
    path("dev/<str:phone>/", views.dev_conversation, name="dev_conversation"),
]

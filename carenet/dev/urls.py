from django.urls import path

from carenet.dev import views

app_name = "dev"

# Mounted at /sms/dev/ only while CARENET_SMS_DEV_INBOX is on (config/urls.py).
urlpatterns = [
    path("", views.sms_inbox, name="sms_inbox"),
    path("send-now/", views.sms_send_now, name="sms_send_now"),
    path("<str:phone>/", views.sms_conversation, name="sms_conversation"),
]

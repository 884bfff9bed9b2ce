from django.urls import path
from django.utils.translation import gettext_lazy as _

from carenet.portal import views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path(_("facilities/"), views.facilities, name="facilities"),
]

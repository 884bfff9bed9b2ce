from django.urls import path

from carenet.dev.testbank import views

app_name = "testbank"

urlpatterns = [
    path("", views.root, name="root"),
    path(".well-known/openid-configuration", views.discovery, name="discovery"),
    path("jwks", views.jwks, name="jwks"),
    path("authorize", views.authorize, name="authorize"),
    path("token", views.token, name="token"),
    path("userinfo", views.userinfo, name="userinfo"),
]

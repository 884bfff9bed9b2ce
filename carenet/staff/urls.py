from django.contrib.auth import views as auth_views
from django.urls import path

from carenet.staff import ecard, views

app_name = "staff"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", views.StaffLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("patients/", views.patients, name="patients"),
    path("patients/<int:patient_id>/", views.patient, name="patient"),
    path("patients/<int:patient_id>/find-a-visit/", views.patient_search, name="patient_search"),
    path("patients/<int:patient_id>/book/<int:slot_id>/", views.book, name="book"),
    path("appointments/<int:appointment_id>/cancel/", views.cancel, name="cancel"),
    path("e-card/", ecard.ecard_verify_page, name="ecard_verify"),
]

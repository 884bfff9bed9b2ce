"""The basic front doors: health, the OpenAPI document and its offline docs, the home page, staff login,
the language switch and every back-office page."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_health_reports_the_database(client: Client) -> None:
    response = client.get("/api/v1/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["database"] in {"sqlite", "postgresql"}


def test_health_answers_503_when_the_database_fails(client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    from django.db.backends.utils import CursorWrapper

    def broken(self: object, sql: str, params: object = None) -> None:
        raise RuntimeError("database down")

    monkeypatch.setattr(CursorWrapper, "execute", broken)
    response = client.get("/api/v1/health")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "error"}


def test_openapi_document_lists_the_health_endpoint(client: Client) -> None:
    document = client.get("/api/v1/openapi.json").json()
    assert document["info"]["title"] == "CareNet API"
    assert "/api/v1/health" in document["paths"]


def test_interactive_docs_load_without_internet(client: Client) -> None:
    page = client.get("/api/v1/docs").content.decode()
    assert "swagger-ui-bundle.js" in page
    assert "cdn." not in page and "unpkg" not in page and "jsdelivr" not in page


def test_home_page_is_polish_by_default_and_english_on_request(client: Client) -> None:
    polish = client.get("/").content.decode()
    assert 'lang="pl"' in polish
    english = client.get("/en/").content.decode()
    assert 'lang="en"' in english and "your medical network" in english


def test_staff_login_page_and_a_wrong_password_is_refused(client: Client, django_user_model: type) -> None:
    django_user_model.objects.create_user(username="operator", password="correct-horse-42", role="call_centre")
    assert client.get(reverse("staff:login")).status_code == 200
    response = client.post(reverse("staff:login"), {"username": "operator", "password": "wrong"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    response = client.post(reverse("staff:login"), {"username": "operator", "password": "correct-horse-42"})
    assert response.status_code == 302
    assert client.session["_auth_user_id"]


def test_every_back_office_page_opens_for_an_administrator(admin_client: Client, admin_user: object) -> None:
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = admin_user  # type: ignore[attr-defined]
    pages = []
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        pages.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
        if model_admin.has_add_permission(request):
            pages.append(reverse(f"admin:{opts.app_label}_{opts.model_name}_add"))
    assert len(pages) > 20
    for url in pages:
        response = admin_client.get(url)
        assert response.status_code == 200, url


def test_back_office_is_closed_to_patients(client: Client, django_user_model: type) -> None:
    patient = django_user_model.objects.create_user(username="patient", password="x-long-password-1", role="patient")
    client.force_login(patient)
    response = client.get(reverse("admin:accounts_patient_changelist"))
    assert response.status_code == 302  # to the admin login: not staff

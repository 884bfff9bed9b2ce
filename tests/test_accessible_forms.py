"""BEY-5, issue 14: every form of CareNet, rendered bound and failed, ties each field's help and error to it and
opens with an error summary whose links reach the fields. Finds every Form class under ``carenet``: a new form
that breaks the pattern (or cannot be built here) fails this test."""

from __future__ import annotations

import datetime as dt
import importlib
import pkgutil
from decimal import Decimal
from typing import Any

import pytest
from django import forms
from django.template import Context, Template
from django.urls import reverse
from django.utils import translation

import carenet
from carenet.core import clock
from carenet.questions.tests.factories import completed_visit
from carenet.web.templatetags.carenet_forms import field_anchor, summary_items
from tests.cast import Cast
from tests.html_checks import broken_references, parse

#: Forms whose constructor needs more than data: the keyword arguments their pages give them.
CONSTRUCTOR_KWARGS: dict[str, dict[str, Any]] = {
    "carenet.web.forms.SlotSearchForm": {"today": dt.date(2026, 12, 4)},
    "carenet.web.forms.BookingConfirmForm": {
        "price": Decimal("150.00"),
        "referrals": [(1, "Kardiologia, 1.12.2026")],
        "occupational": True,
    },
    "carenet.portal.consultations.StartForm": {"file_choices": [(1, "wynik.pdf")]},
    "carenet.portal.complaints.ComplaintForm": {"family": []},
    "carenet.portal.complaints.ClaimForm": {"family": []},
    "carenet.staff.network_figures.NetworkFiguresForm": {"today": dt.date(2026, 12, 4)},
}


def _carenet_form_classes() -> list[type[forms.BaseForm]]:
    for module in pkgutil.walk_packages(carenet.__path__, "carenet."):
        if ".tests" in module.name or ".migrations" in module.name or module.name.endswith(".tests"):
            continue
        importlib.import_module(module.name)
    found: list[type[forms.BaseForm]] = []
    pending: list[type] = [forms.BaseForm]
    while pending:
        cls = pending.pop()
        pending.extend(cls.__subclasses__())
        if cls.__module__.startswith("carenet.") and ".tests" not in cls.__module__:
            found.append(cls)
    return sorted(set(found), key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


FORM_CLASSES = _carenet_form_classes()


def _name(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def test_the_forms_are_found() -> None:
    names = {_name(cls) for cls in FORM_CLASSES}
    assert {"carenet.portal.registration.RegistrationForm", "carenet.web.forms.LoginForm"} <= names
    assert len(names) >= 25


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["pl", "en"])
@pytest.mark.parametrize("form_class", FORM_CLASSES, ids=_name)
def test_a_failed_form_ties_its_errors_and_summarises_them(form_class: type[forms.BaseForm], language: str) -> None:
    kwargs = CONSTRUCTOR_KWARGS.get(_name(form_class), {})
    with translation.override(language):
        form = form_class(data={}, **kwargs)
        if form.is_valid():
            # A form whose refusals come from a service (an upload, a code): the view adds them to its fields.
            for name in list(form.fields):
                form.add_error(name, "Refused by the service.")
        form.add_error(None, "Refused as a whole.")
        html = Template("{{ form }}").render(Context({"form": form}))
        found = parse(html)
        assert found.summaries == 1, html
        assert broken_references(html) == [], html
        items = summary_items(form)
        errors = sum(len(errors) for errors in form.errors.values())
        assert len(items) == errors
        # Every error links to a field; only a form without a visible field (all hidden) lists them as text.
        linked = errors if form.visible_fields() else 0
        assert len(found.summary_links) == linked == sum(1 for item in items if item.target)
        for error_list in form.errors.values():
            for error in error_list:
                assert any(str(error) in item.text for item in items)
        for field in form:
            if field.errors and not field.is_hidden:
                assert f'id="{field.auto_id}_error"' in html
                assert f"#{field_anchor(field)}" in found.summary_links
            if field.help_text and not field.is_hidden:
                assert f'id="{field.auto_id}_helptext"' in html


@pytest.mark.django_db
def test_the_summary_counts_in_polish_and_english() -> None:
    from carenet.portal.registration import RegistrationForm

    form = RegistrationForm(data={})
    with translation.override("en"):
        english = Template("{{ form }}").render(Context({"form": form}))
    with translation.override("pl"):
        polish = Template("{{ form }}").render(Context({"form": form}))
    count = len(summary_items(form))
    assert count > 4
    assert f"There is a problem: correct {count} errors" in english
    assert f"Popraw {count} błędów" in polish
    assert 'role="alert"' in polish and 'tabindex="-1"' in polish


#: Failed submissions of the pages' forms: (role, url name, url args from the cast, data). Each answer must open
#: with an error summary whose links and every aria reference of the page point at elements that exist.
FAILED_POSTS: list[tuple[str, str, str, dict[str, str]]] = [
    ("anonymous", "portal:register", "", {}),
    ("anonymous", "portal:login", "", {}),
    ("anonymous", "staff:login", "", {}),
    ("patient", "portal:password_change", "", {}),
    ("patient", "portal:checkin", "", {}),
    ("patient", "portal:files", "", {"description": "x"}),
    ("patient", "portal:questions", "visit", {"text": ""}),
    ("receptionist_here", "staff:password_change", "", {}),
    ("receptionist_here", "staff:identity_confirm_in_person", "patient", {}),
    ("receptionist_here", "staff:collection", "patient", {}),
    ("receptionist_here", "staff:collection_check", "patient", {}),
]


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["pl", "en"])
@pytest.mark.parametrize(("role", "name", "arg", "data"), FAILED_POSTS, ids=[row[1] for row in FAILED_POSTS])
def test_a_failed_page_form_opens_with_its_summary(
    cast: Cast, role: str, name: str, arg: str, data: dict[str, str], language: str
) -> None:
    # A browser always sends the CSRF token, so an empty form is a non-empty POST (views test ``request.POST or None``).
    body = {"csrfmiddlewaretoken": "-"} | data
    args = [cast.patient.pk] if arg == "patient" else []
    if arg == "visit":
        visit = completed_visit(
            patient=cast.patient,
            clinician=cast.clinician_with,
            facility=cast.here,
            service=cast.consult,
            starts_at=clock.at_warsaw(clock.today() - dt.timedelta(days=2), dt.time(9)),
        )
        body["appointment"] = str(visit.pk)
    with translation.override(language):
        url = reverse(name, args=args)
    client = cast.client(role)
    answer = client.post(url, body, HTTP_ACCEPT_LANGUAGE=language)
    assert answer.status_code in (200, 400, 422), (url, answer.status_code)
    html = answer.content.decode()
    found = parse(html)
    assert found.summaries == 1, html
    assert found.summary_links, html
    assert broken_references(html) == [], html


#: Pages with forms, as first shown: every aria reference points at an element that exists (no summary yet).
BLANK_PAGES: list[tuple[str, str, str]] = [
    ("anonymous", "portal:register", ""),
    ("anonymous", "portal:login", ""),
    ("anonymous", "staff:login", ""),
    ("patient", "portal:account", ""),
    ("patient", "portal:files", ""),
    ("patient", "portal:questions", ""),
    ("patient", "portal:checkin", ""),
    ("level_one", "portal:identity", ""),
    ("receptionist_here", "staff:password_change", ""),
    ("receptionist_here", "staff:identity_confirm_in_person", "patient"),
    ("receptionist_here", "staff:password_reset", "patient"),
    ("receptionist_here", "staff:collection", "patient"),
    ("receptionist_here", "staff:collection_check", "patient"),
    ("clinician_with", "staff:clinician_visit", "visit"),
    ("coordinator", "staff:dashboard_network", ""),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("role", "name", "arg"), BLANK_PAGES, ids=[row[1] for row in BLANK_PAGES])
def test_a_page_with_forms_refers_only_to_what_exists(cast: Cast, role: str, name: str, arg: str) -> None:
    args = {"patient": [cast.patient.pk], "visit": [cast.visit.pk]}.get(arg, [])
    answer = cast.client(role).get(reverse(name, args=args))
    assert answer.status_code == 200, (name, answer.status_code)
    html = answer.content.decode()
    assert "<form" in html
    assert parse(html).summaries == 0
    assert broken_references(html) == []

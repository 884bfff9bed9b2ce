"""PKG-6 in the portal: the patient's E-Karta page with its QR code and the PDF; a guardian shows their child's
card; another patient's card is never reachable."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.conf import settings
from django.test import Client, RequestFactory
from django.urls import reverse

from carenet.coverage.policies import ecard_sign
from carenet.coverage.tests.ecard_world import TODAY, EcardWorld, build_ecard_world
from carenet.portal.ecard import verification_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> EcardWorld:
    return build_ecard_world()


@pytest.fixture(autouse=True)
def _today():  # type: ignore[no-untyped-def]
    with time_machine.travel(f"{TODAY.isoformat()} 10:00 +01:00", tick=False):
        yield


def logged_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_the_patient_sees_their_card_with_a_signed_qr_code(world: EcardWorld) -> None:
    response = logged_in(world.patient_a.user).get(reverse("portal:ecard"))
    assert response.status_code == 200
    html = response.content.decode()
    number = world.card_a.ecard_number
    assert "Łucja Kęsińska-Żółć" in html and number in html
    assert world.card_a.tier.name in html and world.card_a.contract.name in html
    assert "30.06.2026" in html
    assert "<svg" in html and reverse("portal:ecard_pdf") in html


def test_the_qr_code_leads_to_the_staff_verification_with_the_signature(world: EcardWorld) -> None:
    number = world.card_a.ecard_number
    link = verification_url(RequestFactory().get("/"), number)
    assert reverse("staff:ecard_verify") in link
    assert f"number={number}" in link
    assert ecard_sign(number, settings.CARENET_ECARD_SECRET) in link


def test_another_patients_card_is_not_reachable(world: EcardWorld) -> None:
    client = logged_in(world.patient_b.user)
    assert client.get(reverse("portal:ecard") + f"?for={world.patient_a.pk}").status_code == 404
    assert client.get(reverse("portal:ecard_pdf") + f"?for={world.patient_a.pk}").status_code == 404
    assert client.get(reverse("portal:ecard") + f"?for={world.child_a.pk}").status_code == 404
    assert client.get(reverse("portal:ecard") + "?for=x").status_code == 404
    own = client.get(reverse("portal:ecard")).content.decode()
    assert world.card_a.ecard_number not in own and world.card_b.ecard_number in own


def test_a_guardian_shows_their_childs_card(world: EcardWorld) -> None:
    client = logged_in(world.patient_a.user)
    response = client.get(reverse("portal:ecard") + f"?for={world.child_a.pk}")
    assert response.status_code == 200
    html = response.content.decode()
    assert world.card_child.ecard_number in html and "Jaś Kęsiński" in html
    assert f"for={world.child_a.pk}" in html
    pdf = client.get(reverse("portal:ecard_pdf") + f"?for={world.child_a.pk}")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert world.card_child.ecard_number.encode() in pdf.content


def test_the_pdf_carries_the_card_in_an_embedded_unicode_font(world: EcardWorld) -> None:
    response = logged_in(world.patient_a.user).get(reverse("portal:ecard_pdf"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    pdf = response.content
    assert pdf.startswith(b"%PDF")
    assert world.card_a.ecard_number.encode() in pdf  # the document title
    # The text is set in the vendored DejaVu Sans, embedded (a subset with a ToUnicode map), so ą, ę, ł print.
    assert re.search(rb"/BaseFont /[A-Z]{6}\+DejaVuSans\b", pdf)
    assert b"/FontFile2" in pdf and b"/ToUnicode" in pdf
    assert b"/Image" in pdf  # the QR code


def test_the_pdf_prints_polish_letters_in_the_embedded_font(world: EcardWorld) -> None:
    """The holder's name goes through the TTF font: every letter of it has a glyph (none falls back to a box)."""
    from reportlab.pdfbase import pdfmetrics

    from carenet.portal.ecard import FONT, _register_fonts

    _register_fonts()
    face = pdfmetrics.getFont(FONT).face
    for letter in "Łucja Kęsińska-Żółć ąęłńóśźżĄĘŁŃÓŚŹŻ":
        assert ord(letter) in face.charToGlyph, letter


def test_anonymous_visitors_go_to_the_login_and_staff_get_403(world: EcardWorld) -> None:
    for name in ("portal:ecard", "portal:ecard_pdf"):
        anonymous = Client().get(reverse(name))
        assert anonymous.status_code == 302 and reverse("portal:login") in anonymous["Location"]
        assert logged_in(world.users["receptionist"]).get(reverse(name)).status_code == 403


def test_the_patient_menu_links_the_card(world: EcardWorld) -> None:
    html = logged_in(world.patient_a.user).get(reverse("portal:visits")).content.decode()
    assert f'href="{reverse("portal:ecard")}"' in html

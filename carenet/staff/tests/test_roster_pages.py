"""PKG-3, PKG-8 in the console: the employer's contact sees their contract's roster (no medical data), uploads a
file, reads the report line by line before anything is stored, applies it; coordinators read any contract's
roster; nobody reaches another contract's."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from carenet.coverage.models import Contract, RosterEntry, RosterUpload
from carenet.coverage.roster import MAX_FILE_BYTES
from carenet.coverage.tests.factories import ContractFactory
from carenet.coverage.tests.test_roster import ANNA, HEADER, JAN, ZOSIA
from carenet.messaging.models import OutboundMessage
from tests.cast import Cast

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def offered(cast: Cast) -> None:
    """Anna's contract offers her tier (the roster's tiers must be the contract's)."""
    enrolment = cast.patient.enrolments.get()
    enrolment.contract.tiers.add(enrolment.tier)


def annas_contract(cast: Cast) -> Contract:
    return cast.patient.enrolments.get().contract


def file_of(cast: Cast, *lines: str, name: str = "lista.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (HEADER + "\n" + "\n".join(lines) + "\n").encode())


def line(cast: Cast, first: str, last: str, pesel: str, *, mobile: str = "601234567", holder: str = "") -> str:
    tier = cast.patient.enrolments.get().tier.code
    return f"{first};{last};{pesel};{tier};2026-01-01;2027-01-31;{mobile};;{holder}"


def test_the_contact_uploads_reads_the_report_and_applies_only_the_valid_lines(cast: Cast) -> None:
    client = cast.client("employer_contact")
    assert client.get(reverse("staff:roster_upload")).status_code == 200
    response = client.post(
        reverse("staff:roster_upload"),
        {
            "file": file_of(
                cast,
                line(cast, "Jan", "Kowalski", JAN),
                line(cast, "Zosia", "Kowalska", ZOSIA, mobile="", holder=JAN),
                line(cast, "Ewa", "Błędna", ANNA[:-1] + "0"),
            ),
            "mode": "changes",
        },
    )
    page = response.content.decode()
    assert response.status_code == 200 and "staff/roster/report.html" in [t.name for t in response.templates]
    assert "PESEL check digit is wrong" in page or "błędna cyfra kontrolna PESEL" in page
    assert JAN not in page  # the report masks PESELs too
    assert not RosterEntry.objects.exists()  # nothing stored before "Apply"
    upload = RosterUpload.objects.get()
    assert (upload.lines_total, upload.lines_invalid) == (3, 1)

    applied = client.post(reverse("staff:roster_upload"), {"apply": str(upload.pk)})
    assert applied.status_code == 302 and applied.headers["Location"] == reverse("staff:roster")
    assert set(RosterEntry.objects.values_list("pesel", flat=True)) == {JAN, ZOSIA}
    again = client.post(reverse("staff:roster_upload"), {"apply": str(upload.pk)}, follow=True)
    assert (RosterEntry.objects.count() == 2 and "already" in again.content.decode()) or "już" in again.content.decode()


def test_the_roster_shows_dates_and_accounts_but_no_full_pesel_and_nothing_medical(cast: Cast) -> None:
    contract = annas_contract(cast)
    RosterEntry.objects.create(
        contract=contract,
        tier=cast.patient.enrolments.get().tier,
        first_name="Anna",
        last_name="Nowak",
        pesel=cast.patient.pesel,
        mobile=cast.patient.mobile,
        activation_date=dt.date(2026, 1, 1),
        paid_through=dt.date(2026, 12, 31),
    )
    response = cast.client("employer_contact").get(reverse("staff:roster"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Nowak Anna" in page and cast.patient.pesel[-4:] in page and cast.patient.pesel not in page
    assert "31.12.2026" in page
    assert response.context["page"].object_list[0].registered is True
    assert cast.visit.slot.clinician.last_name not in page and cast.here.name not in page
    # PKG-8: the package scope their people have — the programme's table, per tier of the contract
    tier = cast.patient.enrolments.get().tier
    assert response.context["scope_rows"] and tier.benefits.first().title in page


def test_another_contract_does_not_exist_for_the_contact(cast: Cast) -> None:
    other = ContractFactory()
    client = cast.client("employer_contact")
    for name in ("staff:roster", "staff:roster_export", "staff:roster_upload"):
        assert client.get(reverse(name), {"contract": other.pk}).status_code == 404
    foreign = RosterUpload.objects.create(
        contract=other, uploaded_by=cast.user("admin"), content=HEADER, uploaded_at=dt.datetime.now(dt.UTC)
    )
    assert client.get(reverse("staff:roster_upload_report", args=[foreign.pk])).status_code == 404
    assert client.post(reverse("staff:roster_upload"), {"apply": str(foreign.pk)}).status_code == 404
    assert RosterUpload.objects.get().applied_at is None


def test_a_coordinator_reads_any_contracts_roster_but_uploads_nothing(cast: Cast) -> None:
    client = cast.client("coordinator")
    chooser = client.get(reverse("staff:roster"))
    assert chooser.status_code == 200 and annas_contract(cast).name in chooser.content.decode()
    assert client.get(reverse("staff:roster"), {"contract": annas_contract(cast).pk}).status_code == 200
    assert client.get(reverse("staff:roster"), {"contract": "99999999"}).status_code == 404
    refused = client.post(
        reverse("staff:roster_upload"),
        {
            "file": file_of(cast, line(cast, "Jan", "Kowalski", JAN)),
            "mode": "changes",
            "contract": annas_contract(cast).pk,
        },
    )
    assert refused.status_code == 403 and not RosterUpload.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (HEADER.encode() + b"\nJan\x00;Kowalski\n", "NUL"),
        ("first_name;last_name\nŻaneta;Łącka\n".encode("cp1250"), "UTF-8"),
        (b"first_name;last_name\nJan;Kowalski\n", "tier, activation_date, paid_through, mobile"),
        (b"x" * (MAX_FILE_BYTES + 10), "5 MB"),
        (b"", ""),
    ],
)
def test_a_hostile_file_gets_a_clear_message_and_stores_nothing(cast: Cast, content: bytes, message: str) -> None:
    response = cast.client("employer_contact").post(
        reverse("staff:roster_upload"), {"file": SimpleUploadedFile("lista.csv", content), "mode": "changes"}
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not RosterUpload.objects.exists() and not RosterEntry.objects.exists()


def test_the_export_makes_formulas_inert(cast: Cast) -> None:
    RosterEntry.objects.create(
        contract=annas_contract(cast),
        tier=cast.patient.enrolments.get().tier,
        first_name='=HYPERLINK("http://evil.example","kliknij")',
        last_name="+Nowak",
        pesel=JAN,
        activation_date=dt.date(2026, 1, 1),
        paid_through=dt.date(2026, 12, 31),
    )
    response = cast.client("employer_contact").get(reverse("staff:roster_export"))
    body = response.content.decode("utf-8")
    assert response.status_code == 200 and body.startswith("\ufeff" + ";".join(HEADER.split(";")))
    assert "'=HYPERLINK" in body and ";'+Nowak;" in body
    assert response["Content-Type"].startswith("text/csv")


def test_the_report_is_english_for_an_english_session(cast: Cast) -> None:
    with translation.override("en"):
        url = reverse("staff:roster_upload")
    response = cast.client("employer_contact").post(
        url, {"file": file_of(cast, line(cast, "Jan", "Kowalski", JAN[:-1] + "0")), "mode": "full"}
    )
    assert "PESEL check digit is wrong" in response.content.decode()
    assert not OutboundMessage.objects.filter(purpose="enrolment_activation").exists()

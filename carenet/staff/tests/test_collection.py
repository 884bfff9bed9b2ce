"""CLN-3 at the reception desk: recording an authorisation from the signed form, revoking it, and "Wydanie wyników"
— authorised (the results the scope covers: exam and date, never values; the PDF to print) or not (nothing about
the results). Every check is recorded; hostile input gets a message, never a 500, and stores nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from carenet.accounts.models import PatientRead
from carenet.core import clock
from carenet.messaging.models import OutboundMessage
from carenet.results.models import CollectionAuthorisation, Result
from carenet.results.tests.factories import CollectionAuthorisationFactory, ObservationFactory, ResultFactory
from tests.cast import RESULT_PDF, Cast, build_cast, with_collection

pytestmark = pytest.mark.django_db
JAN = "44051401359"


@pytest.fixture
def cast(db: None) -> Cast:
    return with_collection(build_cast())


def form(**fields: str) -> dict[str, str]:
    return {"full_name": "Jan Nowak", "pesel": JAN, "scope": "lab", "valid_until": "", "form_on_file": "on"} | fields


def reads(reference_prefix: str = "") -> list[tuple[str, int, str, str]]:
    rows = PatientRead.objects.filter(reference__startswith=reference_prefix).order_by("pk")
    return list(rows.values_list("reader__username", "patient_id", "what", "reference"))


def test_the_patient_page_links_to_the_authorisations_and_the_hand_over(cast: Cast) -> None:
    html = cast.client("receptionist_here").get(reverse("staff:patient", args=[cast.patient.pk])).content.decode()
    assert reverse("staff:collection", args=[cast.patient.pk]) in html
    assert reverse("staff:collection_check", args=[cast.patient.pk]) in html
    html = cast.client("call_centre").get(reverse("staff:patient", args=[cast.patient.pk])).content.decode()
    assert reverse("staff:collection", args=[cast.patient.pk]) not in html


def test_the_desk_records_an_authorisation_from_the_signed_form(cast: Cast) -> None:
    client = cast.client("receptionist_here")
    url = reverse("staff:collection", args=[cast.patient.pk])
    valid_until = (clock.today() + dt.timedelta(days=90)).isoformat()
    answer = client.post(url, form(valid_until=valid_until))
    assert answer.status_code == 302
    recorded = CollectionAuthorisation.objects.get(pesel=JAN)
    assert (recorded.facility_id, recorded.recorded_by_id, recorded.scope) == (
        cast.here.pk,
        cast.user("receptionist_here").pk,
        "lab",
    )
    assert recorded.valid_until == dt.date.fromisoformat(valid_until)
    assert (
        OutboundMessage.objects.filter(purpose="collection-authorisation-recorded", patient=cast.patient).count() == 1
    )
    html = client.get(url).content.decode()
    assert f'data-authorisation="{recorded.pk}"' in html and JAN in html
    assert ("recepcja-mokotow", cast.patient.pk, "collection_auth", "") in reads()


@pytest.mark.parametrize(
    "fields",
    [
        {"full_name": "Jan\x00Nowak"},
        {"full_name": "Jan 😀 Nowak"},
        {"full_name": "J" * 10_000},
        {"pesel": "44051401358"},
        {"pesel": "😀😀😀😀😀😀😀😀😀😀😀"},
        {"pesel": "4405140135\x00"},
        {"valid_until": "9999-12-31"},
        {"valid_until": "0001-01-01"},
        {"valid_until": "99999-01-01"},
        {"valid_until": "2020-01-01"},
        {"scope": "everything"},
        {"form_on_file": ""},
    ],
)
def test_hostile_input_on_the_form_gets_a_message_and_stores_nothing(cast: Cast, fields: dict[str, str]) -> None:
    before = (CollectionAuthorisation.objects.count(), OutboundMessage.objects.count())
    answer = cast.client("receptionist_here").post(reverse("staff:collection", args=[cast.patient.pk]), form(**fields))
    assert answer.status_code == 422
    assert 'class="errorlist"' in answer.content.decode()
    assert (CollectionAuthorisation.objects.count(), OutboundMessage.objects.count()) == before


@pytest.mark.parametrize("facility", ["99999999999999999999999", "abc", "\x00", "", "partner"])
def test_an_administrator_names_a_centre_of_the_network(cast: Cast, facility: str) -> None:
    url = reverse("staff:collection", args=[cast.patient.pk])
    client = cast.client("admin")
    chosen = str(cast.partner.pk) if facility == "partner" else facility
    answer = client.post(url, form(facility=chosen))
    assert answer.status_code == 422 and not CollectionAuthorisation.objects.filter(pesel=JAN).exists()
    assert client.post(url, form(facility=str(cast.elsewhere.pk))).status_code == 302
    assert CollectionAuthorisation.objects.get(pesel=JAN).facility_id == cast.elsewhere.pk


def test_the_desk_revokes_after_a_confirmation(cast: Cast) -> None:
    ewa = cast.collection_authorisation
    assert ewa is not None
    client = cast.client("receptionist_elsewhere")  # any centre's desk: the patient may ask anywhere
    url = reverse("staff:collection_revoke", args=[ewa.pk])
    assert client.get(url).status_code == 200
    ewa.refresh_from_db()
    assert ewa.revoked_at is None  # the confirmation page changes nothing
    assert client.post(url).status_code == 302
    ewa.refresh_from_db()
    assert ewa.revoked_at is not None and ewa.revoked_by_id == cast.user("receptionist_elsewhere").pk
    assert client.post(url).status_code == 302  # again: nothing more happens
    assert CollectionAuthorisation.objects.get(pk=ewa.pk).revoked_at == ewa.revoked_at


def check(cast: Cast, role: str = "receptionist_here", **fields: str) -> tuple[int, str]:
    data = {"who": "person", "pesel": "85010112345", "id_checked": "on"} | fields
    answer = cast.client(role).post(reverse("staff:collection_check", args=[cast.patient.pk]), data)
    return answer.status_code, answer.content.decode()


def test_an_authorised_person_gets_the_list_of_exams_never_the_values(cast: Cast) -> None:
    result = cast.collection_result
    ewa = cast.collection_authorisation
    assert result is not None and ewa is not None
    ObservationFactory(result=result, name="Hemoglobina", value="13.579")
    status, html = check(cast)
    assert status == 200 and 'data-outcome="authorised"' in html
    assert "Ewa Nowak" in html and result.name in html and f'data-result="{result.pk}"' in html
    assert "13.579" not in html and "Hemoglobina" not in html
    pdf = reverse("staff:collection_result_pdf", args=[cast.patient.pk, result.pk]) + f"?authorisation={ewa.pk}"
    assert pdf.replace("&", "&amp;") in html or pdf in html
    reference = f"hand-over:authorisation:{ewa.pk}"
    assert reads("hand-over") == [
        ("recepcja-mokotow", cast.patient.pk, "collection_auth", reference),
        ("recepcja-mokotow", cast.patient.pk, "results", reference),
    ]


def test_the_printout_is_an_attachment_and_is_checked_again(cast: Cast) -> None:
    result, ewa = cast.collection_result, cast.collection_authorisation
    assert result is not None and ewa is not None
    client = cast.client("receptionist_here")
    url = reverse("staff:collection_result_pdf", args=[cast.patient.pk, result.pk])
    answer = client.get(url, {"authorisation": ewa.pk})
    assert answer.status_code == 200
    assert answer.headers["Content-Disposition"].startswith("attachment")
    assert answer.headers["X-Content-Type-Options"] == "nosniff"
    assert b"".join(answer.streaming_content) == RESULT_PDF  # type: ignore[attr-defined]
    assert reads("pdf:") == [("recepcja-mokotow", cast.patient.pk, "results", f"pdf:{result.pk}")]
    # Revoked since the check, an id of another patient's authorisation, no authorisation at all: 404.
    others = CollectionAuthorisationFactory(patient=cast.other_patient, facility=cast.here)
    for query in ({"authorisation": others.pk}, {}, {"authorisation": "abc"}, {"authorisation": "9" * 30}):
        assert client.get(url, query).status_code == 404
    ewa.revoked_at, ewa.revoked_by = clock.now(), cast.user("patient")
    ewa.save()
    assert client.get(url, {"authorisation": ewa.pk}).status_code == 404
    # Anna herself prints only through the links of a check of her in person (tests/test_review_fixes_results.py).
    assert client.get(url, {"in_person": "1"}).status_code == 404


@pytest.mark.parametrize("state", ["revoked", "expired", "unknown", "other_scope"])
def test_the_desk_refuses_without_a_valid_authorisation(cast: Cast, state: str) -> None:
    ewa = cast.collection_authorisation
    assert ewa is not None
    imaging = ResultFactory(patient=cast.patient, kind=Result.Kind.IMAGING, name="RTG klatki piersiowej")
    pesel = ewa.pesel
    if state == "revoked":
        CollectionAuthorisation.objects.filter(pk=ewa.pk).update(
            revoked_at=clock.now(), revoked_by=cast.user("patient")
        )
    elif state == "expired":
        CollectionAuthorisation.objects.filter(pk=ewa.pk).update(valid_until=clock.today() - dt.timedelta(days=1))
    elif state == "unknown":
        pesel = JAN
    else:
        CollectionAuthorisation.objects.filter(pk=ewa.pk).update(scope="lab")
    status, html = check(cast, pesel=pesel)
    assert status == 200
    if state == "other_scope":  # authorised for laboratory results: the imaging report is neither listed nor printed
        assert 'data-outcome="authorised"' in html and "RTG klatki" not in html
        pdf = reverse("staff:collection_result_pdf", args=[cast.patient.pk, imaging.pk])
        assert cast.client("receptionist_here").get(pdf, {"authorisation": ewa.pk}).status_code == 404
        return
    assert 'data-outcome="refused"' in html
    assert "Morfologia" not in html and "data-result=" not in html
    assert reads("hand-over") == [("recepcja-mokotow", cast.patient.pk, "collection_auth", "hand-over:refused")]


def test_the_patient_in_person_after_an_id_check(cast: Cast) -> None:
    status, html = check(cast, who="in_person", pesel="", id_checked="")
    assert status == 422 and "data-outcome" not in html
    status, html = check(cast, who="in_person", pesel="")
    assert status == 200 and 'data-outcome="authorised"' in html and "Morfologia" in html


@pytest.mark.parametrize(
    "pesel", ["85010112345\x00", "😀" * 11, "8" * 10_000, "", "' OR 1=1 --", "８５０１０１１２３４５"]
)
def test_hostile_input_at_the_desk_never_authorises(cast: Cast, pesel: str) -> None:
    status, html = check(cast, pesel=pesel)
    assert status in (200, 422)
    assert 'data-outcome="authorised"' not in html and "Morfologia" not in html

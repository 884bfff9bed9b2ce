"""CLN-3: who may collect a patient's results — the rules (no database), recording and revoking, and the desk's
check: an expired, revoked or other-scope authorisation refuses; hostile input stores nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from carenet.accounts.selectors import actor_for_user
from carenet.core import clock
from carenet.core.errors import ApplicationError, Conflict, NotFound, PermissionDenied, ValidationFailed
from carenet.messaging.models import OutboundMessage
from carenet.network.models import Facility
from carenet.results import authorisations as auth
from carenet.results.models import CollectionAuthorisation, Result
from carenet.results.tests.factories import CollectionAuthorisationFactory, ResultFactory
from tests.cast import Cast, build_cast, with_collection

TODAY = dt.date(2026, 12, 4)
JAN = "44051401359"  # a valid PESEL (Jan Nowak, the person Anna authorises in these tests)


@pytest.fixture
def cast(db: None) -> Cast:
    """The role cast, with Anna's laboratory result and Ewa Nowak, whom Anna authorised to collect it (CLN-3)."""
    return with_collection(build_cast())


# --- the rules -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("revoked", "valid_until", "expected"),
    [
        (False, None, "active"),
        (False, TODAY, "active"),  # valid through its last day
        (False, TODAY - dt.timedelta(days=1), "expired"),
        (True, None, "revoked"),
        (True, TODAY - dt.timedelta(days=1), "revoked"),
    ],
)
def test_status_of_an_authorisation(revoked: bool, valid_until: dt.date | None, expected: str) -> None:
    assert auth.authorisation_status(revoked=revoked, valid_until=valid_until, day=TODAY) == expected
    assert auth.valid_on(revoked=revoked, valid_until=valid_until, day=TODAY) is (expected == "active")


def test_scope_covers_kinds() -> None:
    assert auth.covers("all", "lab") and auth.covers("all", "imaging")
    assert auth.covers("lab", "lab") and not auth.covers("lab", "imaging")
    assert auth.covers("imaging", "imaging") and not auth.covers("imaging", "lab")
    assert auth.kinds_covered("lab") == ["lab"] and sorted(auth.kinds_covered("all")) == ["imaging", "lab"]


def test_the_pesel_is_masked_but_for_the_last_four_digits() -> None:
    assert auth.masked_pesel("85010112345") == "•••••••2345"


@pytest.mark.parametrize("name", ["Jan Nowak", "Anna Nowak-Kowalska", "Seán O'Brien", "Łucja Żak", "Jan Kr."])
def test_names_people_have(name: str) -> None:
    assert auth.name_problem(name) is None


@pytest.mark.parametrize("name", ["Jan\x00Nowak", "Jan 😀 Nowak", "J" * 10_000, "Jo", "<script>", "123 456", "..."])
def test_names_that_are_not(name: str) -> None:
    assert auth.name_problem(name) is not None


def test_the_sms_names_the_person_shortly_and_the_centre() -> None:
    item = CollectionAuthorisation(full_name="Jan Maria Nowak", pesel=JAN, facility=Facility(name="CareNet Mokotów"))
    text = auth.recorded_text(item)
    assert text.startswith("CareNet: Upoważnienie do odbioru wyników dla Jan N. zapisane w CareNet Mokotów.")
    assert "Jeśli to nie Ty, zadzwoń" in text and JAN not in text


# --- recording -----------------------------------------------------------------------------------------------------


def record(cast: Cast, role: str = "receptionist_here", **fields: object) -> CollectionAuthorisation:
    values: dict[str, object] = {
        "patient_id": cast.patient.pk,
        "full_name": "Jan Nowak",
        "pesel": JAN,
        "scope": "lab",
        "valid_until": None,
        "form_on_file": True,
    } | fields
    return auth.authorisation_record(actor=actor_for_user(cast.user(role)), **values)  # type: ignore[arg-type]


@pytest.mark.django_db
def test_the_desk_records_at_its_own_centre_and_the_patient_gets_one_sms(cast: Cast) -> None:
    recorded = record(cast, valid_until=clock.today() + dt.timedelta(days=30))
    assert (recorded.facility_id, recorded.recorded_by_id) == (cast.here.pk, cast.user("receptionist_here").pk)
    assert (recorded.full_name, recorded.pesel, recorded.scope, recorded.revoked_at) == ("Jan Nowak", JAN, "lab", None)
    sms = OutboundMessage.objects.get(key=f"collection-authorisation-recorded:collectionauthorisation:{recorded.pk}")
    assert sms.recipient == cast.patient.contact_mobile and "Jan N." in sms.body and cast.here.name in sms.body
    # The same person again while the first is active: refused, no second SMS.
    with pytest.raises(Conflict) as refused:
        record(cast)
    assert refused.value.code == "authorisation_duplicate"
    assert OutboundMessage.objects.filter(purpose="collection-authorisation-recorded").count() == 1


@pytest.mark.django_db
def test_a_childs_authorisation_texts_the_guardian(cast: Cast) -> None:
    type(cast.child).objects.filter(pk=cast.child.pk).update(mobile="")  # an eight-year-old without a phone
    recorded = record(cast, patient_id=cast.child.pk)
    sms = OutboundMessage.objects.get(purpose="collection-authorisation-recorded")
    assert recorded.patient_id == cast.child.pk and sms.recipient == cast.guardian.contact_mobile


@pytest.mark.django_db
def test_an_administrator_names_one_of_the_networks_centres(cast: Cast) -> None:
    with pytest.raises(ValidationFailed) as refused:
        record(cast, "admin")
    assert refused.value.code == "authorisation_facility"
    with pytest.raises(ValidationFailed):
        record(cast, "admin", facility_id=cast.partner.pk)  # a partner facility is not a CareNet centre
    assert record(cast, "admin", facility_id=cast.elsewhere.pk).facility_id == cast.elsewhere.pk


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["patient", "guardian", "call_centre", "clinician_with", "coordinator"])
def test_only_the_desk_records(cast: Cast, role: str) -> None:
    with pytest.raises(PermissionDenied):
        record(cast, role)
    assert not CollectionAuthorisation.objects.filter(pesel=JAN).exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"full_name": "Jan\x00Nowak"}, "authorisation_name"),
        ({"full_name": "Jan 😀"}, "authorisation_name"),
        ({"full_name": "J" * 10_000}, "authorisation_name"),
        ({"full_name": ""}, "authorisation_name"),
        ({"pesel": "44051401358"}, "pesel_checksum"),
        ({"pesel": "4405140135"}, "pesel_format"),
        ({"pesel": "４４０５１４０１３５９"}, "pesel_format"),  # full-width digits
        ({"pesel": "44051401359\x00"}, "pesel_format"),
        ({"pesel": "😀" * 11}, "pesel_format"),
        ({"scope": "everything"}, "authorisation_scope"),
        ({"valid_until": dt.date(9999, 12, 31)}, "authorisation_valid_until_too_far"),
        ({"valid_until": dt.date(1, 1, 1)}, "authorisation_valid_until_past"),
        ({"valid_until": dt.date(2020, 1, 1)}, "authorisation_valid_until_past"),
        ({"form_on_file": False}, "authorisation_form_not_on_file"),
    ],
)
def test_hostile_input_is_refused_and_stores_nothing(cast: Cast, fields: dict[str, object], code: str) -> None:
    before = (CollectionAuthorisation.objects.count(), OutboundMessage.objects.count())
    with pytest.raises(ApplicationError) as refused:
        record(cast, **fields)
    assert refused.value.code == code
    assert (CollectionAuthorisation.objects.count(), OutboundMessage.objects.count()) == before


@pytest.mark.django_db
def test_the_patients_own_pesel_is_refused(cast: Cast) -> None:
    type(cast.patient).objects.filter(pk=cast.patient.pk).update(pesel=JAN)
    with pytest.raises(ValidationFailed) as refused:
        record(cast, pesel=JAN)
    assert refused.value.code == "authorisation_pesel_is_patients"


# --- the desk's check ----------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_check_answers_only_for_an_active_authorisation_of_this_patient(cast: Cast) -> None:
    today = clock.today()
    ewa = cast.collection_authorisation
    assert ewa is not None
    found = auth.authorisation_check(patient=cast.patient, pesel=ewa.pesel, on=today)
    assert found.authorised and found.authorisation == ewa and found.scope == "all"
    # Someone else's PESEL, another patient, a malformed PESEL: not authorised.
    assert not auth.authorisation_check(patient=cast.patient, pesel=JAN, on=today).authorised
    assert not auth.authorisation_check(patient=cast.other_patient, pesel=ewa.pesel, on=today).authorised
    for pesel in ("", "8501011234", "85010112345\x00", "8501011234５"):
        assert not auth.authorisation_check(patient=cast.patient, pesel=pesel, on=today).authorised
    # Expired yesterday: refused.
    CollectionAuthorisation.objects.filter(pk=ewa.pk).update(valid_until=today - dt.timedelta(days=1))
    assert not auth.authorisation_check(patient=cast.patient, pesel=ewa.pesel, on=today).authorised
    CollectionAuthorisation.objects.filter(pk=ewa.pk).update(valid_until=today)
    assert auth.authorisation_check(patient=cast.patient, pesel=ewa.pesel, on=today).authorised


@pytest.mark.django_db
def test_a_laboratory_authorisation_hands_over_no_imaging_report(cast: Cast) -> None:
    lab = record(cast, scope="lab")
    imaging = ResultFactory(patient=cast.patient, kind=Result.Kind.IMAGING, name="RTG klatki piersiowej")
    ResultFactory(patient=cast.other_patient)  # never anyone else's
    outcome = auth.authorisation_check(patient=cast.patient, pesel=JAN, on=clock.today())
    assert outcome.authorisation == lab
    listed = auth.results_for_hand_over(patient=cast.patient, scope=outcome.scope)
    assert [result.pk for result in listed] == [cast.collection_result.pk]  # type: ignore[union-attr]
    with pytest.raises(NotFound):
        auth.result_for_hand_over(patient=cast.patient, result_id=imaging.pk, outcome=outcome)
    everything = auth.results_for_hand_over(patient=cast.patient, scope="all")
    assert {result.pk for result in everything} == {imaging.pk, cast.collection_result.pk}  # type: ignore[union-attr]


# --- revoking ------------------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_patient_revokes_and_the_desk_refuses_at_once(cast: Cast) -> None:
    ewa = cast.collection_authorisation
    assert ewa is not None
    patient = actor_for_user(cast.user("patient"))
    revoked = auth.authorisation_revoke(actor=patient, authorisation_id=ewa.pk)
    assert revoked.revoked_at is not None and revoked.revoked_by_id == cast.patient.user_id
    assert not auth.authorisation_check(patient=cast.patient, pesel=ewa.pesel, on=clock.today()).authorised
    assert not auth.authorisation_recheck(patient=cast.patient, authorisation_id=ewa.pk, on=clock.today()).authorised
    # Idempotent: again, and by the desk — the first revocation is kept.
    again = auth.authorisation_revoke(actor=actor_for_user(cast.user("receptionist_here")), authorisation_id=ewa.pk)
    assert (again.revoked_at, again.revoked_by_id) == (revoked.revoked_at, revoked.revoked_by_id)


@pytest.mark.django_db
def test_a_guardian_revokes_their_childs_and_nobody_elses(cast: Cast) -> None:
    childs = CollectionAuthorisationFactory(patient=cast.child, facility=cast.here)
    guardian = actor_for_user(cast.user("guardian"))
    assert auth.authorisation_revoke(actor=guardian, authorisation_id=childs.pk).revoked_at is not None
    annas = cast.collection_authorisation
    assert annas is not None
    for role in ("guardian", "other_patient", "call_centre", "clinician_with", "coordinator"):
        with pytest.raises(NotFound):
            auth.authorisation_revoke(actor=actor_for_user(cast.user(role)), authorisation_id=annas.pk)
    annas.refresh_from_db()
    assert annas.revoked_at is None

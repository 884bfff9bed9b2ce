"""CLN-6, issue 10: every read of patient data recorded — one INSERT and no read whatever the number of patients,
nothing for an anonymous actor or a patient's own data, a guardian's read of a child's recorded; kept for
``CARENET_READ_RECORD_KEEP_DAYS`` and purged hourly; the patient's list in constant queries; the back office lists
it read-only, for administrators only."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from carenet.accounts import reads
from carenet.accounts.models import PatientRead, User
from carenet.accounts.permissions import ANONYMOUS, Actor, Role
from carenet.accounts.reads import Door, What, patient_reads_page, patient_reads_purge, patient_reads_record
from carenet.accounts.selectors import actor_for_user
from carenet.accounts.tests.factories import PatientFactory, UserFactory
from carenet.core import periodic
from carenet.core.errors import NotFound
from carenet.network.tests.factories import FacilityFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 4, 9, 30, tzinfo=dt.UTC)


def receptionist() -> tuple[User, Actor]:
    facility = FacilityFactory()
    user = UserFactory(role=User.Role.RECEPTIONIST, facility=facility)
    return user, Actor(user_id=user.pk, role=Role.RECEPTIONIST, facility_id=facility.pk)


def test_a_search_of_a_hundred_patients_is_one_insert_and_no_read(django_assert_num_queries) -> None:
    user, actor = receptionist()
    patients = [PatientFactory(user=None) for _ in range(100)]
    ids = [patient.pk for patient in patients]

    with django_assert_num_queries(1) as captured:
        recorded = patient_reads_record(
            actor=actor, patient_ids=ids, what=What.PATIENT_SEARCH, door=Door.STAFF, reference="q", now=NOW
        )

    assert captured.captured_queries[0]["sql"].lstrip().upper().startswith("INSERT")
    assert recorded == 100
    rows = PatientRead.objects.filter(reader=user)
    assert sorted(rows.values_list("patient_id", flat=True)) == sorted(ids)
    row = rows.first()
    assert row is not None
    assert (row.role, row.facility_id, row.what, row.door, row.reference, row.at) == (
        "receptionist",
        user.facility_id,
        "patient_search",
        "staff",
        "q",
        NOW,
    )


def test_one_read_is_one_insert_and_a_repeated_patient_is_recorded_once(django_assert_num_queries) -> None:
    _, actor = receptionist()
    patient = PatientFactory()
    with django_assert_num_queries(1):
        assert (
            patient_reads_record(
                actor=actor, patient_ids=[patient.pk, patient.pk], what=What.PATIENT_PAGE, door=Door.STAFF
            )
            == 1
        )
    assert PatientRead.objects.get().patient_id == patient.pk


def test_nothing_is_recorded_for_an_anonymous_actor_or_nobody(django_assert_num_queries) -> None:
    _, actor = receptionist()
    patient = PatientFactory()
    with django_assert_num_queries(0):
        assert patient_reads_record(actor=ANONYMOUS, patient_ids=[patient.pk], what=What.VISIT, door=Door.API) == 0
        assert patient_reads_record(actor=actor, patient_ids=[], what=What.PATIENT_SEARCH, door=Door.STAFF) == 0
    assert not PatientRead.objects.exists()


def test_a_patient_reading_their_own_data_is_not_recorded_but_their_childs_is(django_assert_num_queries) -> None:
    guardian = PatientFactory()
    child = PatientFactory(child=True, guardian=guardian)
    actor = actor_for_user(guardian.user)
    assert child.pk in actor.children_ids

    with django_assert_num_queries(0):
        patient_reads_record(actor=actor, patient_ids=[guardian.pk], what=What.API_DETAIL, door=Door.API)
    with django_assert_num_queries(1):
        recorded = patient_reads_record(
            actor=actor, patient_ids=[guardian.pk, child.pk], what=What.VISIT_LIST, door=Door.PORTAL
        )

    assert recorded == 1
    read = PatientRead.objects.get()
    assert (read.patient_id, read.reader_id, read.role, read.facility_id) == (
        child.pk,
        guardian.user.pk,
        "patient",
        None,
    )


def test_a_superuser_is_recorded_as_an_administrator() -> None:
    superuser = UserFactory(username="root", role=User.Role.PATIENT, is_superuser=True, is_staff=True)
    patient = PatientFactory()
    patient_reads_record(
        actor=actor_for_user(superuser), patient_ids=[patient.pk], what=What.PATIENT_PAGE, door=Door.BACK_OFFICE
    )
    assert PatientRead.objects.get().role == "admin"


def test_a_reference_is_cut_to_its_column_and_loses_nul_characters() -> None:
    _, actor = receptionist()
    patient = PatientFactory()
    patient_reads_record(
        actor=actor, patient_ids=[patient.pk], what=What.VISIT, door=Door.STAFF, reference="12\x003" + "x" * 100
    )
    reference = PatientRead.objects.get().reference
    assert reference.startswith("123x") and "\x00" not in reference and len(reference) == 40


def test_the_record_belongs_to_the_callers_transaction() -> None:
    _, actor = receptionist()
    patient = PatientFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        patient_reads_record(actor=actor, patient_ids=[patient.pk], what=What.VISIT, door=Door.STAFF)
        raise RuntimeError("the read failed")
    assert not PatientRead.objects.exists()


# --- Retention ---------------------------------------------------------------------------------------------------


def test_reads_older_than_the_keep_time_are_purged_in_one_delete(settings, django_assert_num_queries) -> None:
    settings.CARENET_READ_RECORD_KEEP_DAYS = 30
    _, actor = receptionist()
    patient = PatientFactory()
    for at in (NOW - dt.timedelta(days=31), NOW - dt.timedelta(days=30, seconds=1), NOW - dt.timedelta(days=29)):
        patient_reads_record(actor=actor, patient_ids=[patient.pk], what=What.VISIT, door=Door.STAFF, now=at)

    with django_assert_num_queries(1):
        assert patient_reads_purge(now=NOW) == 2

    assert list(PatientRead.objects.values_list("at", flat=True)) == [NOW - dt.timedelta(days=29)]
    assert patient_reads_purge(now=NOW) == 0


def test_the_default_keep_time_is_five_years(settings) -> None:
    from config import settings as base

    assert base.CARENET_READ_RECORD_KEEP_DAYS == 1826
    _, actor = receptionist()
    patient = PatientFactory()
    patient_reads_record(actor=actor, patient_ids=[patient.pk], what=What.VISIT, door=Door.STAFF, now=NOW)
    settings.CARENET_READ_RECORD_KEEP_DAYS = base.CARENET_READ_RECORD_KEEP_DAYS
    assert patient_reads_purge(now=NOW + dt.timedelta(days=1825)) == 0
    assert patient_reads_purge(now=NOW + dt.timedelta(days=1826, seconds=1)) == 1


def test_the_purge_is_an_hourly_periodic_job() -> None:
    from carenet.accounts.tasks import prune_patient_reads

    job = {job.name: job for job in periodic.jobs()}["prune-patient-reads"]
    assert job.every_seconds == 3600
    assert job.task is prune_patient_reads


# --- The patient's list ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [5, 50])
def test_the_patients_list_is_latest_first_in_constant_queries(count: int) -> None:
    _, actor = receptionist()
    patient = PatientFactory()
    for minute in range(count):
        patient_reads_record(
            actor=actor,
            patient_ids=[patient.pk],
            what=What.PATIENT_PAGE,
            door=Door.STAFF,
            now=NOW + dt.timedelta(minutes=minute),
        )
    me = actor_for_user(patient.user)

    with CaptureQueriesContext(connection) as captured:
        page = patient_reads_page(actor=me, patient_id=patient.pk, per_page=20)
        shown = [(read.at, read.facility.name if read.facility else "") for read in page]

    assert len(captured) == 2  # the count and the page, with the facility joined
    assert len(shown) == min(count, 20)
    assert shown[0][0] == NOW + dt.timedelta(minutes=count - 1)
    assert [at for at, _ in shown] == sorted((at for at, _ in shown), reverse=True)
    assert page.paginator.count == count


def test_the_list_is_only_for_the_patient_and_their_children() -> None:
    _, actor = receptionist()
    guardian = PatientFactory()
    child = PatientFactory(child=True, guardian=guardian)
    stranger = PatientFactory()
    patient_reads_record(
        actor=actor, patient_ids=[guardian.pk, child.pk, stranger.pk], what=What.VISIT, door=Door.STAFF
    )
    me = actor_for_user(guardian.user)

    assert [read.pk for read in patient_reads_page(actor=me, patient_id=child.pk)] == list(
        PatientRead.objects.filter(patient=child).values_list("pk", flat=True)
    )
    with pytest.raises(NotFound):
        patient_reads_page(actor=me, patient_id=stranger.pk)
    with pytest.raises(NotFound):
        patient_reads_page(actor=actor, patient_id=guardian.pk)  # staff have the back office, not this list
    with pytest.raises(NotFound):
        patient_reads_page(actor=ANONYMOUS, patient_id=guardian.pk)


# --- The back office ---------------------------------------------------------------------------------------------


def test_the_back_office_lists_reads_searchable_by_pesel_and_login(admin_client: Client) -> None:
    staff, actor = receptionist()
    patients = [PatientFactory() for _ in range(3)]
    patient_reads_record(actor=actor, patient_ids=[p.pk for p in patients], what=What.PATIENT_SEARCH, door=Door.STAFF)
    changelist = reverse("admin:accounts_patientread_changelist")

    response = admin_client.get(changelist)
    assert response.status_code == 200
    assert response.context["cl"].result_count == 3
    by_pesel = admin_client.get(changelist, {"q": patients[1].pesel})
    assert [read.patient_id for read in by_pesel.context["cl"].result_list] == [patients[1].pk]
    by_login = admin_client.get(changelist, {"q": staff.username})
    assert by_login.context["cl"].result_count == 3
    filtered = admin_client.get(changelist, {"door": "api"})
    assert filtered.status_code == 200 and filtered.context["cl"].result_count == 0


def test_the_back_office_list_is_constant_queries(admin_client: Client) -> None:
    changelist = reverse("admin:accounts_patientread_changelist")

    def queries_with(count: int) -> int:
        _, actor = receptionist()
        patient_reads_record(
            actor=actor, patient_ids=[PatientFactory().pk for _ in range(count)], what=What.VISIT, door=Door.STAFF
        )
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(changelist).status_code == 200
        return len(captured)

    assert queries_with(2) == queries_with(20)


def test_the_back_office_refuses_to_add_change_or_delete_a_read(admin_client: Client) -> None:
    _, actor = receptionist()
    patient = PatientFactory()
    patient_reads_record(actor=actor, patient_ids=[patient.pk], what=What.VISIT, door=Door.STAFF)
    read = PatientRead.objects.get()

    delete = admin_client.post(reverse("admin:accounts_patientread_delete", args=[read.pk]), {"post": "yes"})
    assert delete.status_code == 403
    bulk = admin_client.post(
        reverse("admin:accounts_patientread_changelist"),
        {"action": "delete_selected", "_selected_action": [read.pk], "post": "yes"},
    )
    assert bulk.status_code == 200  # the list again: there is no delete action to run
    assert "delete_selected" not in admin_client.get(reverse("admin:accounts_patientread_changelist")).content.decode()
    change = admin_client.post(reverse("admin:accounts_patientread_change", args=[read.pk]), {"door": "api"})
    assert change.status_code == 403
    assert admin_client.get(reverse("admin:accounts_patientread_add")).status_code == 403
    assert PatientRead.objects.get().door == "staff"


def test_only_administrators_see_the_reads_in_the_back_office(client: Client) -> None:
    """READ_RECORD_AUDIT is the administrators' alone: a coordinator uses the back office but does not see who read
    which patient, even when given Django's view permission."""
    from django.contrib.auth.models import Permission

    coordinator = UserFactory(role=User.Role.COORDINATOR, is_staff=True)
    coordinator.user_permissions.add(Permission.objects.get(codename="view_patientread"))
    client.force_login(coordinator)
    assert client.get(reverse("admin:accounts_patientread_changelist")).status_code == 403
    assert "patientread" not in client.get(reverse("admin:index")).content.decode()


def test_the_service_and_choices_are_the_ones_the_doors_use() -> None:
    assert reads.What is PatientRead.What and reads.Door is PatientRead.Door
    assert {door.value for door in Door} == {"portal", "staff", "api", "sms", "back_office"}
    assert {
        "patient_search",
        "patient_page",
        "visit_list",
        "visit",
        "no_shows",
        "ecard_check",
        "api_list",
        "api_detail",
        "identity",
        "medical_record",
        "day_list",
        "referrals",
        "prescriptions",
        "sick_leave",
        "recommendations",
        "renewals",
        "questions",
        "results",
        "collection_auth",
        "files",
        "consultations",
    } == {what.value for what in What}

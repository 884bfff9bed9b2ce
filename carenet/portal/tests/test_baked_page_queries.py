"""Issue 16 (PERF): the statements the dashboard and "Moje wizyty" ask on every request are baked
(carenet/core/baked.py): compiled once per process and run again with new values. Each answers exactly what the ORM
answers for the same values — instances with their related objects, or tuples — and is baked, not left to the ORM;
the pages show the same visits as before."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.db.models import Count, Max, Model, Prefetch, prefetch_related_objects
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext

from carenet.arrival import selectors as arrival_selectors
from carenet.booking import selectors as booking_selectors
from carenet.booking.models import Appointment
from carenet.closures import selectors as closure_selectors
from carenet.core import clock
from carenet.core.baked import BakedQuery, id_values, ids_of
from carenet.feedback import selectors as feedback_selectors
from carenet.scheduling.models import Slot
from tests.cast import Cast, with_closure

pytestmark = pytest.mark.django_db

Status = Appointment.Status


def _fields(obj: Any) -> Any:
    """What an instance holds (its columns) and, for the related objects attached to it, theirs."""
    if not isinstance(obj, Model):
        return obj
    related = {
        field.name: _fields(field.get_cached_value(obj))
        for field in obj._meta.concrete_fields
        if field.is_relation and field.is_cached(obj)  # type: ignore[attr-defined]
    }
    return (type(obj), obj.pk, model_to_dict(obj, fields=[f.name for f in obj._meta.concrete_fields]), related)


def assert_baked_as_orm(baked: BakedQuery[Any], shape: Any, **values: Any) -> None:
    """The baked statement answers what the ORM answers for the same values, in one statement, and is baked."""
    orm = list(baked.build(shape, **values))
    with CaptureQueriesContext(connection) as queries:
        got = baked.all(shape=shape, **values)
    assert len(queries) == 1
    assert [_fields(row) for row in got] == [_fields(row) for row in orm]
    assert baked._plans[("default", shape)] is not None  # baked, not run through the ORM each time


def _detail(slot: Slot, name: str) -> Any:
    """``facility__city`` → ``slot.facility.city`` (``None`` along the way stays ``None``)."""
    value: Any = slot
    for part in name.split("__"):
        value = getattr(value, part) if value is not None else None
    return _fields(value)


def test_id_values_pad_to_a_power_of_two_and_answer_the_same_ids() -> None:
    assert id_values([]) == (0, {})
    size, values = id_values([7, 3, 7, 5], prefix="p")
    assert size == 4 and ids_of(size, values, prefix="p")[:3] == [3, 5, 7]
    size, values = id_values(range(1, 6))
    padded = ids_of(size, values)
    assert size == 8 and padded[:5] == [1, 2, 3, 4, 5] and len(set(padded)) == 8 and max(padded[5:]) < 0


def test_the_pages_statements_answer_what_the_orm_answers(cast: Cast) -> None:
    """Every baked statement of the two pages, for a family (guardian and child), a patient with a history, a
    no-show and a visit to rate, and for someone with nothing: the ORM's rows."""
    with_closure(cast)
    now = clock.now()
    anna, guardian, child = cast.patient, cast.guardian, cast.child
    Appointment.objects.filter(pk=cast.past_visit.pk).update(status=Status.NO_SHOW)
    families = [[anna], [guardian, child], [anna, guardian, child], [cast.other_patient]]
    for family in families:
        size, ids = id_values([person.pk for person in family], prefix="patient")
        assert_baked_as_orm(booking_selectors._NEXT_FOR_FAMILY, size, now=now, **ids)
        horizon = now - dt.timedelta(days=9)
        assert_baked_as_orm(feedback_selectors._CANDIDATES, size, now=now, horizon=horizon, **ids)
        assert_baked_as_orm(arrival_selectors._RECENT_NO_SHOWS, size, since=now - dt.timedelta(days=60), **ids)
        assert_baked_as_orm(closure_selectors._OPEN_NOTICE_IDS, (size, 50), since=now - dt.timedelta(days=30), **ids)
        for person in family:
            assert_baked_as_orm(booking_selectors._PLANNED, None, patient_id=person.pk, now=now)
            assert_baked_as_orm(booking_selectors._CITY_OF_LAST_BOOKING, None, patient_id=person.pk)
            for limit in (1, 4):
                assert_baked_as_orm(booking_selectors._MOST_BOOKED, limit, patient_id=person.pk)
                # SCH-2's order — most visits, then the latest booked — as the counted rows give it
                counted = (
                    Appointment.objects.filter(patient=person, status__in=booking_selectors._BOOKED_STATUSES)
                    .values("slot__specialty__code")
                    .annotate(visits=Count("id"), latest=Max("created_at"))
                    .order_by("-visits", "-latest")[:limit]
                )
                assert booking_selectors.specialty_codes_most_booked(patient=person, limit=limit) == [
                    row["slot__specialty__code"] for row in counted
                ]
            for page in [(0, 10), (0, 1), (1, 10)]:
                assert_baked_as_orm(booking_selectors._PAST_PAGE, page, patient_id=person.pk, now=now)
            assert_baked_as_orm(booking_selectors._PAST_COUNT, None, patient_id=person.pk, now=now)
            past = booking_selectors.appointment_list_for_patient(patient=person, upcoming=False, now=now)
            assert booking_selectors.appointment_past_count(patient=person, now=now) == past.count()
    visits = list(Appointment.objects.order_by("pk"))
    size, ids = id_values([visit.slot_id for visit in visits], prefix="slot")
    assert_baked_as_orm(booking_selectors._SLOTS_WITH_DETAILS, size, **ids)
    size, ids = id_values([visit.service_id for visit in visits], prefix="service")
    assert_baked_as_orm(booking_selectors._SERVICES, size, **ids)
    size, ids = id_values([visit.pk for visit in visits], prefix="visit")
    assert_baked_as_orm(feedback_selectors._SHOWN, size, **ids)
    assert_baked_as_orm(feedback_selectors._RATING_FACTS, size, **ids)
    # a page of the history is the list's own page, with the patient attached; an empty page asks nothing
    past = booking_selectors.appointment_list_for_patient(patient=anna, upcoming=False, now=now)
    page = booking_selectors.appointment_past_page(patient=anna, now=now, offset=0, limit=10)
    assert page == list(past[:10]) and all(visit.patient is anna for visit in page)
    with CaptureQueriesContext(connection) as queries:
        assert booking_selectors.appointment_past_page(patient=anna, now=now, offset=0, limit=0) == []
    assert not queries
    # the answers the pages read: a closure notice found, no-shows counted, the family's next visit
    assert cast.closure_notice is not None
    notices = closure_selectors.open_notices_for_patients(patient_ids=[anna.pk], since=now - dt.timedelta(days=30))
    assert [notice.pk for notice in notices] == [cast.closure_notice.pk]
    count, _blocks = arrival_selectors.no_show_summary(patients=[anna], now=now, days=3650)
    assert count == 1
    next_visit, with_upcoming = booking_selectors.appointment_next_for_family(family=[guardian, child], now=now)
    assert next_visit is not None and next_visit.patient is child and with_upcoming == 1


def test_the_details_are_attached_as_the_orms_prefetch_attached_them(cast: Cast) -> None:
    """The slots with their clinician, facility, city, room and specialty, and the services: the same objects as
    the ORM's prefetch gave (remote visits without a facility too), two statements for a visit list, none for the
    patient already attached, and slots a caller attached keep theirs with their details read."""
    expected = list(Appointment.objects.order_by("pk"))
    prefetch_related_objects(
        expected,
        Prefetch("slot", queryset=Slot.objects.select_related(*booking_selectors._SLOT_DETAILS)),
        "service",
        "patient",
        "booked_by",
    )
    fresh = list(Appointment.objects.order_by("pk"))
    with CaptureQueriesContext(connection) as queries:
        loaded = booking_selectors.appointment_details_load(fresh)
    assert len(queries) <= 4  # slots with details, services, patients, who booked (when anyone did)
    for mine, theirs in zip(loaded, expected, strict=True):
        assert _fields(mine) == _fields(theirs)
        assert _fields(mine.slot) == _fields(theirs.slot)
        for name in booking_selectors._SLOT_DETAILS:
            assert _detail(mine.slot, name) == _detail(theirs.slot, name)
        assert mine.service == theirs.service and mine.patient == theirs.patient and mine.booked_by == theirs.booked_by
    # the patient attached (a list's rows): two statements, whatever the number of visits
    listed = list(Appointment.objects.filter(patient=cast.patient).select_related("patient"))
    with CaptureQueriesContext(connection) as queries:
        booking_selectors.appointment_details_load(listed, booked_by=False)
    assert len(queries) == 2
    assert all(visit.slot.specialty is not None for visit in listed)
    # slots attached by a caller without their details: the details read for them
    joined = list(Appointment.objects.select_related("slot").order_by("pk"))
    booking_selectors.appointment_details_load(joined)
    for mine, theirs in zip(joined, expected, strict=True):
        for name in booking_selectors._SLOT_DETAILS:
            assert _detail(mine.slot, name) == _detail(theirs.slot, name)

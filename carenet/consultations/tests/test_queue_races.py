"""TEL-2 under real concurrency: 50 patients and 5 clinicians at once, on SQLite (a file database: WAL, BEGIN
IMMEDIATE, busy timeout) and on PostgreSQL (SKIP LOCKED).

Patients start in two lines, some leave at once; every clinician works from two threads (a double click) that take
the next patient, end the consultation, and take again until nobody waits. Afterwards:

* every patient who did not leave was served exactly once; a patient who left was never taken;
* one visit (appointment) per taken consultation, one slot per visit, no slot without its visit;
* no clinician ever held two consultations at once (their taken→ended intervals never overlap);
* first come, first served per line: a consultation taken later than another of its line, though queued earlier and
  already waiting when the other was taken, is allowed only when the two takes overlapped in time.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time
from collections import Counter
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from carenet.accounts.models import User
from carenet.booking.models import Appointment
from carenet.consultations import services
from carenet.consultations.models import Consultation
from carenet.consultations.tests.factories import build_consultation_world
from carenet.core.clock import today as clock_today
from carenet.core.errors import ApplicationError
from carenet.coverage.models import Enrolment
from carenet.scheduling.models import Slot

PATIENTS = 50
CLINICIANS = 5
Status = Consultation.Status


def clock() -> dt.datetime:
    return timezone.now()


def run_queue(settings: Any) -> None:
    settings.CARENET_CONSULTATION_MAX_WAIT_MINUTES = 100_000  # the race is about order, not the wait
    cw = build_consultation_world()
    lines = [cw.internal, cw.midwifery]
    duties = [(cw.internal,), (cw.internal, cw.midwifery), (cw.midwifery,), (cw.internal,), (cw.midwifery, cw.internal)]
    # Real time: the services read the clock themselves (after their locks), as in production.
    now = timezone.now()
    around = {"starts_at": now - dt.timedelta(hours=1), "ends_at": now + dt.timedelta(hours=8)}
    doctors: list[User] = [cw.on_duty(*duty, **around) for duty in duties[:CLINICIANS]]
    patients = [cw.adult() for _ in range(PATIENTS)]
    today = clock_today()
    Enrolment.objects.update(activated_on=today - dt.timedelta(days=365), paid_through=today + dt.timedelta(days=365))
    lock = threading.Lock()
    started: dict[int, dt.datetime] = {}  # consultation id → the tick after its start committed
    left: set[int] = set()
    leave_refused: set[int] = set()
    takes: dict[int, tuple[dt.datetime, dt.datetime]] = {}  # consultation id → the take call's [start, end] ticks
    unexpected: list[BaseException] = []
    starters_done = threading.Event()
    remaining = [PATIENTS]

    def patient_thread(numbers: list[int]) -> None:
        try:
            for number in numbers:
                patient = patients[number]
                assert patient.user is not None
                consultation = services.consultation_start(
                    actor=patient.user,
                    patient_id=patient.pk,
                    line_code=lines[number % 2].code,
                    mode="chat",
                    channel="portal",
                )
                with lock:
                    started[consultation.pk] = clock()
                if number % 5 == 0:
                    try:
                        services.consultation_leave(actor=patient.user, consultation_id=consultation.pk)
                        with lock:
                            left.add(consultation.pk)
                    except ApplicationError as error:
                        assert error.code == "not_waiting"
                        with lock:
                            leave_refused.add(consultation.pk)
        except BaseException as error:  # noqa: BLE001 - asserted below
            with lock:
                unexpected.append(error)
        finally:
            with lock:
                remaining[0] -= len(numbers)
                if remaining[0] == 0:
                    starters_done.set()
            connection.close()

    def clinician_thread(doctor: User) -> None:
        try:
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                done = starters_done.is_set()
                began = clock()
                try:
                    taken = services.consultation_take_next(actor=doctor)
                except ApplicationError as error:
                    assert error.code == "already_in_consultation", error.code
                    time.sleep(0.002)  # the other thread of this clinician is in a consultation
                    continue
                if taken is None:
                    if done:
                        return
                    time.sleep(0.002)  # nobody waits yet: look again
                    continue
                with lock:
                    takes[taken.pk] = (began, clock())
                services.consultation_end(actor=doctor, consultation_id=taken.pk, outcome="advice")
            raise AssertionError("the clinician never saw the queue empty")
        except BaseException as error:  # noqa: BLE001 - asserted below
            with lock:
                unexpected.append(error)
        finally:
            connection.close()

    groups = [list(range(start, PATIENTS, 10)) for start in range(10)]
    threads = [threading.Thread(target=patient_thread, args=(group,)) for group in groups]
    threads += [threading.Thread(target=clinician_thread, args=(doctor,)) for doctor in doctors for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(180)
    assert not any(thread.is_alive() for thread in threads), "a thread did not finish"
    assert not unexpected, [repr(error) for error in unexpected]

    consultations = {c.pk: c for c in Consultation.objects.all()}
    assert len(consultations) == PATIENTS == len(started)
    served = {pk for pk, c in consultations.items() if c.status == Status.ENDED}
    # Every patient who stayed was served exactly once; who left was never taken.
    assert set(consultations) == served | left and not served & left
    assert served == set(takes)
    assert leave_refused <= served
    for pk in left:
        gone = consultations[pk]
        assert gone.status == Status.LEFT and gone.appointment_id is None and gone.taken_at is None
    # One visit per taken consultation, one slot per visit, no orphan slot.
    visits = Counter(Appointment.objects.values_list("pk", flat=True))
    assert sorted(visits) == sorted(consultations[pk].appointment_id for pk in served)  # type: ignore[type-var]
    assert Slot.objects.count() == Appointment.objects.count() == len(served)
    assert not Slot.objects.filter(appointments__isnull=True).exists()
    # No clinician held two at once.
    by_clinician: dict[int, list[tuple[dt.datetime, dt.datetime]]] = {}
    for pk in served:
        c = consultations[pk]
        assert c.clinician_id is not None and c.taken_at is not None and c.ended_at is not None
        by_clinician.setdefault(c.clinician_id, []).append((c.taken_at, c.ended_at))
    for intervals in by_clinician.values():
        intervals.sort()
        for (_, ended), (taken_next, _) in itertools.pairwise(intervals):
            assert ended <= taken_next, "a clinician held two consultations at once"
    # First come, first served per line (allowing for takes that ran at the same time).
    for first in served:
        for second in served:
            a, b = consultations[first], consultations[second]
            if a.line_id != b.line_id or (a.queued_at, a.pk) >= (b.queued_at, b.pk):
                continue
            a_began, _a_done = takes[first]
            b_began, b_done = takes[second]
            waiting_when_b_taken = started[first] < b_began
            if waiting_when_b_taken and a_began > b_done:
                raise AssertionError(f"{second} was taken before the older {first} of the same line")


@pytest.mark.django_db(transaction=True)
def test_sqlite_50_patients_5_clinicians(sqlite_file_database: object, settings: Any) -> None:
    run_queue(settings)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_postgres_50_patients_5_clinicians(settings: Any) -> None:
    run_queue(settings)

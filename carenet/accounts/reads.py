"""Every read of patient data recorded (CLN-6, issue 10): the record, its retention, and the patient's view of it.

The doors (staff patient search and page, visit pages, the E-Karta check, the API's lists and details …) call
:func:`patient_reads_record` with the patients whose data they just read; the scheduler purges rows older than
``CARENET_READ_RECORD_KEEP_DAYS``; a level II patient reads :func:`patient_reads_page` on "Kto oglądał moje dane".

The service, its purge and its one selector live together in this module: they are one small feature, and the
shared ``services``/``selectors`` modules are left to the use cases of people and identity.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.utils.translation import gettext_lazy as _

from carenet.accounts.models import PatientRead
from carenet.accounts.permissions import Action, Actor
from carenet.core import clock
from carenet.core.errors import NotFound

#: What a door read and through which door: ``What.PATIENT_PAGE``, ``Door.STAFF`` …
What = PatientRead.What
Door = PatientRead.Door

#: Reads shown on one page of "Kto oglądał moje dane".
READS_PER_PAGE = 25

_REFERENCE_LENGTH = PatientRead._meta.get_field("reference").max_length or 40


def _clean_reference(reference: object) -> str:
    """A short printable reference (an appointment id …): cut to the column, without the NUL PostgreSQL refuses."""
    return str(reference).replace("\x00", "")[:_REFERENCE_LENGTH]


def patient_reads_record(
    *,
    actor: Actor,
    patient_ids: Iterable[int],
    what: PatientRead.What,
    door: PatientRead.Door,
    reference: object = "",
    now: dt.datetime | None = None,
) -> int:
    """CLN-6: record that ``actor`` read the data of ``patient_ids`` (``what``, through ``door``); returns how many
    reads were recorded.

    Cheap and append-only: one INSERT of every row at once and no read, whatever the number of patients (up to
    Django's batch of a single statement — 124 rows on SQLite, thousands on PostgreSQL; a door reads at most 100
    patients at a time). It runs in the caller's transaction (or autocommit) and does not check anything the
    caller already knows, so it fails only when the database does.

    Nothing is recorded for an anonymous actor, nor for a patient reading their own data; a guardian reading a
    child's data is recorded like anyone else's read. The reader's role and facility are copied as they are now."""
    if not actor.is_authenticated or actor.user_id is None or actor.role is None:
        return 0
    seen: set[int] = set()
    rows: list[PatientRead] = []
    at = now or clock.now()
    ref = _clean_reference(reference)
    for patient_id in patient_ids:
        if patient_id in seen or patient_id == actor.patient_id:
            continue
        seen.add(patient_id)
        rows.append(
            PatientRead(
                reader_id=actor.user_id,
                role=str(actor.role),
                facility_id=actor.facility_id,
                patient_id=patient_id,
                what=what,
                reference=ref,
                at=at,
                door=door,
            )
        )
    if rows:
        PatientRead.objects.bulk_create(rows)
    return len(rows)


def patient_reads_purge(*, now: dt.datetime) -> int:
    """Forget reads older than ``CARENET_READ_RECORD_KEEP_DAYS`` (one DELETE); returns how many went."""
    keep = dt.timedelta(days=settings.CARENET_READ_RECORD_KEEP_DAYS)
    deleted, _ = PatientRead.objects.filter(at__lt=now - keep).delete()
    return deleted


def patient_reads_page(
    *, actor: Actor, patient_id: int, page: int | str | None = 1, per_page: int = READS_PER_PAGE
) -> Page[PatientRead]:
    """CLN-6: who read the data of ``patient_id`` — the patient themself or a child they are the guardian of — latest
    first, one page (a page number out of range gives the nearest page). Two queries (count, page) whatever the
    number of reads; each read carries its facility. Anyone else's data: :class:`NotFound`."""
    if not actor.reaches(Action.READS_OF_MY_DATA_VIEW, patient_id=patient_id):
        raise NotFound(_("No such patient."), code="patient_not_found")
    reads = (
        PatientRead.objects.filter(patient_id=patient_id)
        .select_related("facility")
        .only("role", "what", "door", "at", "facility__name")
        .order_by("-at", "-id")
    )
    result = Paginator(reads, per_page).get_page(page)
    result.object_list = list(result.object_list)
    return result

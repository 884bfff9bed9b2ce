"""CLN-3 under real concurrency (PostgreSQL): revoking at once from the portal and the desk keeps one revocation;
a desk check after a committed revocation refuses; two desks recording the same person at once store one."""

from __future__ import annotations

import threading
from collections import Counter

import pytest

from carenet.accounts.selectors import actor_for_user
from carenet.core import clock
from carenet.core.testing import run_in_threads
from carenet.messaging.models import OutboundMessage
from carenet.results import authorisations as auth
from carenet.results.models import CollectionAuthorisation
from tests.cast import build_cast, with_collection

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_revoking_twice_at_once_keeps_one_revocation() -> None:
    cast = with_collection(build_cast())
    assert cast.collection_authorisation is not None
    authorisation_id = cast.collection_authorisation.pk
    actors = [actor_for_user(cast.user(role)) for role in ("patient", "receptionist_here", "admin")]
    answers: list[tuple[object, int | None]] = []
    lock = threading.Lock()

    def revoke(number: int) -> None:
        revoked = auth.authorisation_revoke(actor=actors[number % 3], authorisation_id=authorisation_id)
        with lock:
            answers.append((revoked.revoked_at, revoked.revoked_by_id))

    errors = run_in_threads(8, revoke)
    assert errors == []
    stored = CollectionAuthorisation.objects.get(pk=authorisation_id)
    # Every caller got the one revocation that was stored: the first to lock the row wrote it, the others read it.
    assert set(answers) == {(stored.revoked_at, stored.revoked_by_id)}
    assert stored.revoked_at is not None


def test_a_check_after_a_committed_revocation_refuses() -> None:
    cast = with_collection(build_cast())
    ewa = cast.collection_authorisation
    assert ewa is not None
    revoked = threading.Event()
    outcomes: list[bool] = []

    def portal(number: int) -> None:
        if number == 0:
            auth.authorisation_revoke(actor=actor_for_user(cast.user("patient")), authorisation_id=ewa.pk)
            revoked.set()
        else:
            assert revoked.wait(30)  # the desk checks once the patient's revocation has committed
            outcomes.append(
                auth.authorisation_check(patient=cast.patient, pesel=ewa.pesel, on=clock.today()).authorised
            )

    assert run_in_threads(2, portal) == []
    assert outcomes == [False]


def test_two_desks_recording_the_same_person_at_once_store_one() -> None:
    cast = with_collection(build_cast())
    desks = [actor_for_user(cast.user(role)) for role in ("receptionist_here", "receptionist_elsewhere")]

    def record(number: int) -> None:
        auth.authorisation_record(
            actor=desks[number % 2],
            patient_id=cast.patient.pk,
            full_name="Jan Nowak",
            pesel="44051401359",
            scope="all",
            valid_until=None,
            form_on_file=True,
        )

    errors = run_in_threads(6, record)
    assert Counter(getattr(error, "code", repr(error)) for error in errors) == Counter({"authorisation_duplicate": 5})
    assert CollectionAuthorisation.objects.filter(pesel="44051401359").count() == 1
    assert OutboundMessage.objects.filter(purpose="collection-authorisation-recorded").count() == 1

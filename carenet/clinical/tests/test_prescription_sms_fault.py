"""SMS-1, SMS-3: the SMS with an e-prescription's code reaches the patient exactly once, even when the worker that
sends it dies after the gateway took it and before it recorded so — another worker picks the message up when the
lease expires, and the gateway's repeated-key check (``idx``) turns the second send into "already sent".

On PostgreSQL with real threads, like :mod:`carenet.messaging.tests.test_concurrency`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.test import override_settings

from carenet.accounts.tests.factories import PatientFactory
from carenet.clinical.models import Prescription
from carenet.clinical.services import prescription_issue
from carenet.clinical.tests.factories import DrugFactory
from carenet.core import clock
from carenet.core.testing import run_in_threads
from carenet.dev.fake_smsapi import FakeSmsApiServer, start_in_thread
from carenet.messaging import backends
from carenet.messaging.backends import SendResult
from carenet.messaging.models import OutboundMessage
from carenet.messaging.services import outbox_dispatch_due
from carenet.network.tests.factories import ClinicianFactory, FacilityFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]
LEASE = 60


class WorkerDied(BaseException):
    """The process was killed (SIGKILL): nothing after this point runs, not even ``except Exception``."""


@pytest.fixture
def gateway() -> Iterator[FakeSmsApiServer]:
    server = start_in_thread(token="clinical-token")
    with override_settings(
        CARENET_SMS_BACKEND="smsapi",
        CARENET_SMSAPI_URL=server.url,
        CARENET_SMSAPI_TOKEN="clinical-token",
        CARENET_OUTBOX_LEASE_SECONDS=LEASE,
    ):
        yield server
    server.shutdown()
    server.server_close()


def test_a_prescription_sms_is_sent_once_when_the_sending_worker_dies(
    gateway: FakeSmsApiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    prescription = prescription_issue(
        clinician=ClinicianFactory(),
        patient=PatientFactory(mobile="+48601202303"),
        facility=FacilityFactory(),
        drug=DrugFactory(),
        dose="1 tabletka rano",
        quantity=1,
        reimbursement=Prescription.Reimbursement.FULL_PRICE,
    )
    message = OutboundMessage.objects.get()
    assert prescription.access_code in message.body

    real = backends.get_sms_backend()

    class DiesAfterTheGatewayTookIt:
        name = real.name

        def send(self, *, to: str, text: str, idempotency_key: str) -> SendResult:
            real.send(to=to, text=text, idempotency_key=idempotency_key)
            raise WorkerDied

    monkeypatch.setattr("carenet.messaging.services.get_sms_backend", lambda: DiesAfterTheGatewayTookIt())
    started = clock.now()
    with pytest.raises(WorkerDied):
        outbox_dispatch_due()
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENDING  # leased by a worker that is gone
    assert gateway.state.stats()["accepted"] == 1

    # Other workers, with the real backend: nothing to take while the lease runs; after it, four at once.
    monkeypatch.setattr("carenet.messaging.services.get_sms_backend", lambda: real)
    assert outbox_dispatch_due(now=started + dt.timedelta(seconds=LEASE / 2)) == 0
    after_lease = started + dt.timedelta(seconds=LEASE + 1)
    errors = run_in_threads(4, lambda _: outbox_dispatch_due(now=after_lease))
    assert not errors

    stats = gateway.state.stats()
    assert (stats["accepted"], stats["duplicates"]) == (1, 1)
    (accepted,) = gateway.state.accepted
    assert prescription.access_code in accepted["message"]
    assert accepted["number"].endswith("601202303")
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT
    assert message.attempts == 2
    assert prescription.access_code not in message.body  # the code is not kept in the outbox once sent

"""REL / SMS-3 fault test: real workers killed with SIGKILL mid-batch, restarted; every message reaches the
(fake) gateway exactly once.

Topology as in production: ``manage.py db_worker`` processes run the ``dispatch_outbox`` task, ``manage.py scheduler``
enqueues the periodic sweep, and the SMSAPI backend talks HTTP to a fake gateway on loopback that is slow (so kills
land mid-batch), answers some requests with 503 and "loses" some acknowledgements (accepts, then times the client
out). The worker processes are killed with SIGKILL again and again; leases of the killed workers expire and their
messages are claimed again, and the gateway's ``idx`` check turns every repeat into "already sent".
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection, transaction

from carenet.dev.fake_smsapi import start_in_thread
from carenet.messaging.models import OutboundMessage
from carenet.messaging.services import outbox_enqueue

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

MESSAGES = 1000
KILLS = 8
WORKERS = 2
TIMEOUT = 120.0


def database_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"] or "")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"])
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def test_workers_killed_repeatedly_deliver_each_message_exactly_once(tmp_path: Path) -> None:
    fake = start_in_thread(token="fault-token", delay=0.008, fail_every=53, lost_ack_every=211, lost_ack_stall=1.5)
    keys = [f"fault:message:{number}" for number in range(MESSAGES)]
    with transaction.atomic():
        for number, key in enumerate(keys):
            outbox_enqueue(key=key, purpose="fault-test", channel="sms", recipient=f"50{number:07d}", body=f"#{number}")

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": database_url(),
        "CARENET_DEBUG": "0",
        "CARENET_SECRET_KEY": "fault-test-only-" + "k" * 32,
        "CARENET_ECARD_SECRET": "fault-test-only-ecard-" + "e" * 32,
        "CARENET_PREMISES_CODE_SECRET": "fault-test-only-premises-" + "p" * 32,
        "CARENET_LOG_LEVEL": "WARNING",
        "CARENET_NATIONAL_PLATFORM_LOCAL_ALLOWED": "true",  # a test installation (carenet.E010)
        "CARENET_SMS_BACKEND": "smsapi",
        "CARENET_SMSAPI_URL": fake.url,
        "CARENET_SMSAPI_TOKEN": "fault-token",
        "CARENET_SMSAPI_TIMEOUT": "1",
        "CARENET_OUTBOX_BATCH_SIZE": "20",
        "CARENET_OUTBOX_LEASE_SECONDS": "3",
        "CARENET_OUTBOX_RETRY_BASE_SECONDS": "0.5",
        "CARENET_OUTBOX_RETRY_MAX_SECONDS": "2",
        "CARENET_OUTBOX_MAX_ATTEMPTS": "30",
        "CARENET_OUTBOX_SWEEP_SECONDS": "1",
    }
    manage = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py")]
    log = (tmp_path / "processes.log").open("w")

    def start(*args: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen([*manage, *args], env=env, cwd=settings.BASE_DIR, stdout=log, stderr=subprocess.STDOUT)

    def start_worker() -> subprocess.Popen[bytes]:
        return start("db_worker", "--no-reload", "--no-startup-delay", "--interval", "0.2", "--verbosity", "0")

    rng = random.Random(20260105)
    started = time.monotonic()
    scheduler = start("scheduler", "--tick", "0.5", "--verbosity", "0")
    workers = [start_worker() for _ in range(WORKERS)]
    kills = 0
    in_flight_at_kills: list[int] = []
    sent = OutboundMessage.objects.filter(status=OutboundMessage.Status.SENT)
    try:
        # Kill only once the workers are up and sending, so that kills land mid-batch.
        while not sent.exists() and time.monotonic() - started < TIMEOUT:
            time.sleep(0.1)
        while time.monotonic() - started < TIMEOUT:
            if kills < KILLS:
                time.sleep(rng.uniform(0.5, 1.5))
                victim = rng.randrange(len(workers))
                workers[victim].send_signal(signal.SIGKILL)
                workers[victim].wait()
                kills += 1
                in_flight_at_kills.append(OutboundMessage.objects.filter(status="sending").count())
                workers[victim] = start_worker()
            else:
                time.sleep(0.5)
            if sent.count() == MESSAGES:
                break
        elapsed = time.monotonic() - started
    finally:
        for process in [*workers, scheduler]:
            process.send_signal(signal.SIGKILL)
            process.wait()
        log.close()
        fake.shutdown()
        fake.server_close()

    statuses = Counter(OutboundMessage.objects.values_list("status", flat=True))
    accepted = Counter(record["idx"] for record in fake.state.accepted)
    stats = fake.state.stats()
    print(
        f"\nfault test: {MESSAGES} messages, {kills} SIGKILLs (in flight at each: {in_flight_at_kills}), "
        f"{elapsed:.1f} s; gateway {stats}; outbox {dict(statuses)}"
    )
    assert statuses == {"sent": MESSAGES}, (tmp_path / "processes.log").read_text()[-3000:]
    assert set(accepted) == set(keys)
    assert set(accepted.values()) == {1}, [key for key, count in accepted.items() if count > 1][:10]
    assert len(fake.state.accepted) == MESSAGES
    assert kills == KILLS
    # The kills really landed while messages were being sent, and repeats really reached the gateway.
    assert any(in_flight_at_kills)
    assert stats["duplicates"] > 0

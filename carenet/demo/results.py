"""The demo's results (CLN-3, issue 12): laboratories' HL7 messages sent through the real MLLP listener.

A listener is started in-process on a free port, the messages are sent to it over one connection, and it is
stopped: every result in the demo arrived the way a laboratory's would (parsed, matched, acknowledged), nothing is
written to the results tables directly. The listener's database work runs on the builder's own connection, inside
its transaction (see :mod:`carenet.results.mllp`).

* pacjent2 — four lipid panels over the months with a falling total cholesterol (262 → 186 mg/dl), a blood count, a
  fasting glucose once above the range; the latest lipid panel ordered by the demo clinician (``lekarz``) through
  the referral for a blood draw (order number ``CN<referral id>``), with its PDF; an abdominal ultrasound (text +
  PDF);
* rodzic — TSH once high (6.8), then within the range on treatment, and a chest X-ray report (text + PDF);
* rodzic's child — a blood count; pacjent1 — a glucose;
* one message for a PESEL nobody in the network has: it waits in the back office's review queue.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from asgiref.sync import async_to_sync

from carenet.clinical.models import Referral
from carenet.demo.people import People, Person
from carenet.network.models import Clinician
from carenet.results import mllp, samples
from carenet.results.policies import order_number_of

D = Decimal
#: A PESEL that is valid but belongs to nobody in the demo (the review queue's example).
UNKNOWN_PESEL = "44051401458"


def _named(people: People) -> dict[str, Person]:
    named = {person.user.username: person for person in people.persons if person.user is not None}
    for person in people.persons:
        guardian = people.persons[person.guardian_index] if person.guardian_index is not None else None
        if guardian is not None and guardian.user is not None and guardian.user.username == "rodzic":
            named.setdefault("rodzic:child", person)
    return named


def _ordered_referral(person: Person | None, clinician: Clinician | None) -> Referral | None:
    if person is None or clinician is None:
        return None
    mine = Referral.objects.filter(patient=person.patient, issued_by=clinician)
    return mine.filter(service__code="home-nursing-blood-draw").first() or mine.order_by("id").first()


def demo_messages(people: People, clinician: Clinician | None, now: dt.datetime) -> list[str]:
    """The demo's HL7 messages, oldest first (deterministic control ids: ``DEMO-<who>-<n>``)."""
    named = _named(people)
    plans: list[tuple[str, int, list[samples.SampleOrder], tuple[str, str, str]]] = []
    lab, imaging = samples.LAB_SENDER, samples.IMAGING_SENDER
    referral = _ordered_referral(named.get("pacjent2"), clinician)
    for days, cholesterol, ldl in ((300, 262, 178), (210, 241, 160), (120, 219, 139), (20, 186, 108)):
        last = days == 20
        orders = [
            samples.SampleOrder(
                panel="lipidogram",
                values={"2093-3": D(cholesterol), "13457-7": D(ldl)},
                placer_order_number=order_number_of(referral.pk) if last and referral is not None else "",
                with_pdf=last,
            )
        ]
        if days in (300, 120):
            orders.append(samples.SampleOrder(panel="glukoza", values={"2345-7": D(112 if days == 300 else 94)}))
        if days == 120:
            orders.append(samples.SampleOrder(panel="morfologia"))
        plans.append(("pacjent2", days, orders, lab))
    plans.append(("pacjent2", 45, [samples.SampleOrder(panel="usg", with_pdf=True)], imaging))
    for days, tsh in ((170, D("6.8")), (95, D("3.1")), (15, D("2.4"))):
        plans.append(("rodzic", days, [samples.SampleOrder(panel="tsh", values={"3016-3": tsh})], lab))
    plans.append(("rodzic", 60, [samples.SampleOrder(panel="rtg", with_pdf=True)], imaging))
    plans.append(("rodzic:child", 30, [samples.SampleOrder(panel="morfologia", values={"6690-2": D("11.2")})], lab))
    plans.append(("pacjent1", 75, [samples.SampleOrder(panel="glukoza")], lab))
    plans.sort(key=lambda plan: -plan[1])
    messages = []
    for number, (who, days, orders, sender) in enumerate(plans, start=1):
        person = named.get(who)
        if person is None:
            continue
        patient = person.patient
        messages.append(
            samples.oru_message(
                pesel=patient.pesel,
                family_name=patient.last_name,
                given_name=patient.first_name,
                birth_date=patient.birth_date,
                sex=patient.sex,
                orders=orders,
                at=now - dt.timedelta(days=days, hours=-9),
                control_id=f"DEMO-{who.replace(':', '-')}-{number}",
                sender=sender,
            )
        )
    messages.append(
        samples.oru_message(
            pesel=UNKNOWN_PESEL,
            family_name="Zieliński",
            given_name="Marek",
            orders=[samples.SampleOrder(panel="morfologia")],
            at=now - dt.timedelta(days=2, hours=-8),
            control_id="DEMO-unknown-1",
        )
    )
    return messages


def send_demo_results(people: People, clinician: Clinician | None, now: dt.datetime) -> str:
    """Send the demo's messages through an in-process MLLP listener; a summary of the acknowledgements."""
    answers = async_to_sync(mllp.serve_and_send)(demo_messages(people, clinician, now))
    codes = [next((line.split("|")[1] for line in ack.split("\r") if line.startswith("MSA|")), "?") for ack in answers]
    summary = ", ".join(f"{code} {codes.count(code)}" for code in sorted(set(codes)))
    return f"results through MLLP ({len(answers)} messages: {summary})"

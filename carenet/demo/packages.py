"""Packages and the roster in the demo (PKG-3, PKG-7, PKG-8): the employer's contact ``kadry`` keeps the roster of
the demo's biggest employer contract; an upload of changes was applied a week ago (two paid-through dates moved on,
one ending this month, a newcomer, and a person who already had an account and got the activation e-mail), and the
example file ``data/roster-example.csv`` — with deliberate errors — waits checked, not applied, to show the report.

Everything goes through the services the console uses, so the rows are exactly what a real upload leaves behind.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.contrib.auth.hashers import make_password
from django.db.models import Count

from carenet.accounts.models import Patient, User
from carenet.accounts.selectors import actor_for_user
from carenet.core import clock
from carenet.coverage.models import Contract, RosterEntry, RosterUpload
from carenet.coverage.roster import COLUMNS
from carenet.coverage.services import roster_upload_apply, roster_upload_check
from carenet.demo.people import PASSWORDS
from carenet.demo.totp import totp_devices_for_demo_staff

EXAMPLE_FILE = Path(__file__).resolve().parent / "data" / "roster-example.csv"
CONTACT_LOGIN = "kadry"


def _line(entry: RosterEntry, **changes: object) -> str:
    values = {
        "first_name": entry.first_name,
        "last_name": entry.last_name,
        "pesel": entry.pesel,
        "tier": entry.tier.code,
        "activation_date": entry.activation_date.isoformat(),
        "paid_through": entry.paid_through.isoformat(),
        "mobile": entry.mobile,
        "email": entry.email,
        "holder_pesel": entry.holder_pesel,
    }
    values.update({key: str(value) for key, value in changes.items()})
    return ";".join(values[column] for column in COLUMNS)


def demo_packages(now: dt.datetime | None = None) -> str:
    """Builds the demo's roster contact and uploads; returns a line for the builder's progress."""
    now = now or clock.now()
    today = clock.local(now).date()
    contract = (
        Contract.objects.filter(kind=Contract.Kind.EMPLOYER)
        .annotate(people=Count("enrolments"))
        .order_by("-people", "code")
        .first()
    )
    if contract is None:
        return "roster: no employer contract"
    contact = User.objects.create(
        username=CONTACT_LOGIN,
        password=make_password(PASSWORDS["employer_contact"]),
        role=User.Role.EMPLOYER_CONTACT,
        contract=contract,
        first_name="Karolina",
        last_name="Kadrowa",
        email=f"{CONTACT_LOGIN}@carenet.example",
    )
    totp_devices_for_demo_staff([contact])
    actor = actor_for_user(contact, today=today)

    members = list(
        RosterEntry.objects.filter(contract=contract, holder_pesel="", paid_through__gte=today)
        .exclude(mobile="")
        .select_related("tier")
        .order_by("last_name", "pesel")[:3]
    )
    renewed, ending = members[:2], members[2:3]
    lines = [_line(entry, paid_through=entry.paid_through + dt.timedelta(days=365)) for entry in renewed]
    lines += [_line(entry, paid_through=max(entry.activation_date, today + dt.timedelta(days=14))) for entry in ending]
    tier = contract.tiers.order_by("rank").first()
    # A person of another programme who changes employer: they have an account, so they get the e-mail.
    mover = (
        Patient.objects.filter(user__isnull=False, guardian__isnull=True)
        .exclude(enrolments__contract=contract)
        .exclude(mobile="")
        # Not a demo login: their pages are described in the README as they are.
        .exclude(user__username__in=("pacjent1", "pacjent2", "rodzic"))
        .exclude(user__username__startswith="pakiet-")
        .order_by("pk")
        .first()
    )
    start = today + dt.timedelta(days=7)
    if mover is not None and tier is not None:
        lines.append(
            ";".join(
                [
                    mover.first_name,
                    mover.last_name,
                    mover.pesel,
                    tier.code,
                    start.isoformat(),
                    (start + dt.timedelta(days=364)).isoformat(),
                    mover.mobile,
                    mover.email,
                    "",
                ]
            )
        )
    if tier is not None:
        lines.append(
            f"Bartosz;Nowicki;92071512353;{tier.code};{start.isoformat()};"
            f"{(start + dt.timedelta(days=364)).isoformat()};+48 609 441 275;b.nowicki@example.com;"
        )
    text = ";".join(COLUMNS) + "\n" + "\n".join(lines) + "\n"
    upload, _report = roster_upload_check(
        actor=actor,
        user=contact,
        contract=contract,
        raw=text.encode(),
        file_name="zmiany.csv",
        mode=RosterUpload.Mode.CHANGES,
    )
    applied = roster_upload_apply(actor=actor, upload_id=upload.pk)
    week_ago = now - dt.timedelta(days=7)
    RosterUpload.objects.filter(pk=upload.pk).update(uploaded_at=week_ago, applied_at=week_ago)
    example, report = roster_upload_check(
        actor=actor,
        user=contact,
        contract=contract,
        raw=EXAMPLE_FILE.read_bytes(),
        file_name=EXAMPLE_FILE.name,
        mode=RosterUpload.Mode.CHANGES,
    )
    return (
        f"roster of {contract.code}: {applied.added} added, {applied.changed} changed, {applied.enrolled} enrolled "
        f"(e-mailed); the example file waits with {len(report.invalid_lines)} lines in error (upload {example.pk})"
    )

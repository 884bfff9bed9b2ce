"""State changes about people. Every door (back office, consoles, registration) goes through these."""

from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from carenet.accounts import policies, two_factor
from carenet.accounts.models import (
    FirstPassword,
    IdentityConfirmation,
    IdentityRequest,
    PasswordReset,
    Patient,
    User,
    password_changed,
)
from carenet.accounts.permissions import Action, Role
from carenet.accounts.selectors import actor_for_user
from carenet.core import clock
from carenet.core.dates import age_on
from carenet.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from carenet.coverage.models import Enrolment, RosterEntry
from carenet.coverage.policies import luhn_check_digit
from carenet.messaging.services import outbox_enqueue

PESEL_MESSAGES = {
    policies.PeselProblem.FORMAT: _("A PESEL number has exactly 11 digits."),
    policies.PeselProblem.CHECKSUM: _("This PESEL number is invalid: its check digit does not match."),
    policies.PeselProblem.BIRTH_DATE: _("This PESEL number does not encode a real date of birth."),
    policies.PeselProblem.FUTURE: _("This PESEL number encodes a date of birth in the future."),
}
PHONE_MESSAGES = {
    policies.PhoneProblem.FORMAT: _("This is not a valid phone number."),
    policies.PhoneProblem.NOT_MOBILE: _("Please give a mobile phone number: we send text messages to it."),
    policies.PhoneProblem.NOT_POLISH: _("Please give a Polish mobile number (+48)."),
}


def pesel_check(raw: str) -> policies.PeselFacts:
    """ACC-1: the PESEL's facts, or a :class:`ValidationFailed` that says what is wrong."""
    try:
        return policies.parse_pesel(raw, today=clock.today())
    except policies.InvalidPesel as exc:
        raise ValidationFailed(PESEL_MESSAGES[exc.problem], code=exc.problem.value) from exc


def mobile_check(raw: str) -> str:
    """ACC-2: the mobile number in E.164, or a :class:`ValidationFailed` that says what is wrong."""
    try:
        return policies.normalize_mobile(raw)
    except policies.InvalidPhone as exc:
        raise ValidationFailed(PHONE_MESSAGES[exc.problem], code=exc.problem.value) from exc


def patient_create(
    *,
    first_name: str,
    last_name: str,
    pesel: str,
    mobile: str,
    email: str = "",
    guardian: Patient | None = None,
    user: User | None = None,
) -> Patient:
    """Record a patient. PESEL gives the birth date and sex; an adult needs a mobile number (ACC-2)."""
    facts = pesel_check(pesel)
    first_name, last_name = first_name.strip(), last_name.strip()
    if not first_name or not last_name:
        raise ValidationFailed(_("First and last name are required."), code="name_required")
    adult = age_on(facts.birth_date, clock.today()) >= 18
    if mobile.strip():
        mobile = mobile_check(mobile)
    elif adult or guardian is None:
        raise ValidationFailed(_("A mobile phone number is required."), code="phone_required")
    try:
        with transaction.atomic():
            return Patient.objects.create(
                first_name=first_name,
                last_name=last_name,
                pesel=facts.pesel,
                birth_date=facts.birth_date,
                sex=facts.sex,
                mobile=mobile,
                email=email.strip(),
                guardian=guardian,
                user=user,
            )
    except IntegrityError as exc:
        if mobile and not Patient.objects.filter(pesel=facts.pesel).exists():
            # ACC-8: one mobile number belongs to one patient (patient_mobile_unique); whose is not said.
            raise Conflict(_("This mobile number is already another patient's."), code="phone_taken") from exc
        raise Conflict(_("A patient with this PESEL number already exists."), code="pesel_taken") from exc


# --- Registration and the first password (ACC-1, ACC-2, ACC-7) -----------------------------------------------

NOT_ENROLLED_MESSAGE = _(
    "We could not find an active CareNet package for these details. Check that your name, PESEL and mobile number "
    "are exactly as your employer or insurer gave them, or call the call centre."
)


def _roster_facts(entry: RosterEntry) -> policies.RosterFacts:
    return policies.RosterFacts(
        first_name=entry.first_name,
        last_name=entry.last_name,
        pesel=entry.pesel,
        mobile=entry.mobile,
        activation_date=entry.activation_date,
        paid_through=entry.paid_through,
    )


def _ecard_number_new() -> str:
    """A unique E-Karta number (PKG-6): ten digits, the first never 0, the last a Luhn check digit."""
    while True:
        body = str(100_000_000 + secrets.randbelow(900_000_000))
        number = body + str(luhn_check_digit(body))
        if not Enrolment.objects.filter(ecard_number=number).exists():
            return number


def patient_register(
    *, first_name: str, last_name: str, pesel: str, email: str, mobile: str, login: str, now: dt.datetime | None = None
) -> User:
    """ACC-1, ACC-2, ACC-7: open a portal account for a person enrolled on an active package and text them the
    first password.

    The data must match a roster entry (name without case and diacritics, PESEL, mobile) whose package is active
    today; otherwise ``not_enrolled`` and nothing is stored. An existing account for the PESEL or a taken login is
    refused too. The patient record and the enrolment are created from the roster entry when missing.
    """
    now = now or clock.now()
    today = clock.local(now).date()
    facts = pesel_check(pesel)
    mobile = mobile_check(mobile)
    first_name, last_name, login, email = first_name.strip(), last_name.strip(), login.strip(), email.strip()
    if not first_name or not last_name:
        raise ValidationFailed(_("First and last name are required."), code="name_required")
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationFailed(_("Please give a valid e-mail address."), code="email_invalid") from exc
    try:
        User.username_validator(login)
    except ValidationError as exc:
        raise ValidationFailed(
            _("A login may contain only letters, digits and the characters @ . + - _"), code="login_invalid"
        ) from exc
    if not login or len(login) > 150:
        raise ValidationFailed(_("Please choose a login of at most 150 characters."), code="login_invalid")
    registration = policies.RegistrationFacts(
        first_name=first_name, last_name=last_name, pesel=facts.pesel, mobile=mobile
    )

    with transaction.atomic():
        matching = [
            entry
            for entry in RosterEntry.objects.select_for_update().filter(pesel=facts.pesel).order_by("-paid_through")
            if policies.roster_matches(registration, _roster_facts(entry))
        ]
        active = [entry for entry in matching if policies.package_active(_roster_facts(entry), today=today)]
        if not active:
            raise ValidationFailed(NOT_ENROLLED_MESSAGE, code="not_enrolled")
        patient = Patient.objects.select_for_update().filter(pesel=facts.pesel).first()
        if patient is not None and patient.user_id is not None:
            raise Conflict(
                _(
                    "An account for this PESEL number already exists. Log in, or ask the call centre to reset the "
                    "password."
                ),
                code="account_exists",
            )
        if User.objects.filter(username__iexact=login).exists():
            raise Conflict(_("This login is taken. Please choose another."), code="login_taken")
        user = User(
            username=login,
            email=email,
            first_name=first_name,
            last_name=last_name,
            role=Role.PATIENT,
            must_change_password=True,
        )
        user.set_unusable_password()
        try:
            with transaction.atomic():
                user.save()
        except IntegrityError as exc:
            raise Conflict(_("This login is taken. Please choose another."), code="login_taken") from exc
        if patient is None:
            patient = patient_create(
                first_name=first_name, last_name=last_name, pesel=facts.pesel, mobile=mobile, email=email, user=user
            )
        else:
            # The number matched the roster: the first password and every later SMS go to it (ACC-2).
            patient.user, patient.mobile = user, mobile
            patient.email = email or patient.email
            try:
                with transaction.atomic():
                    patient.save(update_fields=["user", "mobile", "email"])
            except IntegrityError as exc:  # ACC-8: the roster's number is another patient's (patient_mobile_unique)
                raise Conflict(NOT_ENROLLED_MESSAGE, code="phone_taken") from exc
        for entry in active:
            if not Enrolment.objects.filter(roster_entry=entry).exists():
                Enrolment.objects.create(
                    patient=patient,
                    contract=entry.contract,
                    tier=entry.tier,
                    roster_entry=entry,
                    activated_on=entry.activation_date,
                    paid_through=entry.paid_through,
                    ecard_number=_ecard_number_new(),
                )
        first_password_send(user=user, now=now)
    return user


def first_password_send(*, user: User, now: dt.datetime | None = None) -> FirstPassword:
    """ACC-2: text the patient a new first password (valid 10 minutes, once); earlier unused ones stop working.

    At most three such SMS per phone per hour (``too_many_sms``). Only the hash is stored; the plain password
    exists only in the SMS in the outbox, until it is sent or expires (then it is scrubbed from the stored text).
    """
    now = now or clock.now()
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        patient = Patient.objects.filter(user=locked).first()
        if patient is None or not patient.mobile:
            raise ValidationFailed(_("This account has no mobile number to send a password to."), code="phone_required")
        sent_at = list(
            FirstPassword.objects.filter(mobile=patient.mobile, created_at__gt=now - dt.timedelta(hours=1)).values_list(
                "created_at", flat=True
            )
        )
        if not policies.first_password_sms_allowed(
            sent_at=sent_at, now=now, per_hour=settings.CARENET_FIRST_PASSWORD_SMS_PER_HOUR
        ):
            raise ValidationFailed(
                _("We have already sent several passwords to this number in the last hour. Please try again later."),
                code="too_many_sms",
            )
        FirstPassword.objects.filter(user=locked, used_at__isnull=True, expires_at__gt=now).update(expires_at=now)
        password = policies.first_password_generate(secrets.choice)
        minutes = settings.CARENET_FIRST_PASSWORD_MINUTES
        first_password = FirstPassword.objects.create(
            user=locked,
            mobile=patient.mobile,
            password_hash=make_password(password),
            created_at=now,
            expires_at=policies.first_password_expires_at(now, minutes=minutes),
        )
        with translation.override("pl"):
            body = gettext(
                "CareNet: your login is %(login)s and your first password is %(password)s. It works once, for "
                "%(minutes)s minutes; after logging in you will set your own password."
            ) % {"login": locked.username, "password": password, "minutes": minutes}
        outbox_enqueue(
            key=f"first-password:{first_password.pk}",
            purpose="first-password",
            channel="sms",
            recipient=patient.mobile,
            body=body,
            patient=patient,
            # Not kept readable in the outbox or the back office: scrubbed once sent, or once it stops working.
            secret=password,
            secret_expires_at=first_password.expires_at,
        )
    return first_password


def first_password_use(*, user: User, password: str, now: dt.datetime | None = None) -> bool:
    """ACC-2: log in with a first password: true once for an unexpired, unused one, which is then used up."""
    now = now or clock.now()
    with transaction.atomic():
        candidates = FirstPassword.objects.select_for_update().filter(
            user=user, used_at__isnull=True, expires_at__gt=now
        )
        for first_password in candidates:
            usable = policies.first_password_usable(
                expires_at=first_password.expires_at, used_at=first_password.used_at, now=now
            )
            if usable and check_password(password, first_password.password_hash):
                # A conditional update: of two simultaneous logins with the same password only one wins.
                return FirstPassword.objects.filter(pk=first_password.pk, used_at__isnull=True).update(used_at=now) == 1
    return False


def user_password_set(*, user: User, password: str, now: dt.datetime | None = None) -> User:
    """ACC-2: the user's own password replaces the first one (or, with the current one checked by the front door,
    the previous one); any forced change is over. ACC-6: every API bearer token of the user is revoked in the same
    transaction (:data:`carenet.accounts.models.password_changed`) — the apps log in again."""
    now = now or clock.now()
    with transaction.atomic():
        user.set_password(password)
        user.must_change_password = False
        user.save(update_fields=["password", "must_change_password"])
        password_changed.send(sender=User, user=user, now=now)
    return user


# --- Identity confirmation (ACC-5) ------------------------------------------------------------------------------

IDENTITY_REFUSALS = {
    policies.IdentityRefusal.ALREADY_CONFIRMED: _("This patient's identity is already confirmed (level II)."),
    policies.IdentityRefusal.METHOD_NOT_ALLOWED: _("Your role does not confirm identity this way."),
    policies.IdentityRefusal.BANK_UNDER_AGE: _(
        "Confirming identity through a bank is only for adults (18 or older). Please confirm it at a reception desk "
        "or with the call centre."
    ),
    policies.IdentityRefusal.BANK_PESEL_MISSING: _(
        "The bank did not tell us your PESEL number, so we could not confirm your identity. Nothing was changed."
    ),
    policies.IdentityRefusal.BANK_PESEL_MISMATCH: _(
        "The PESEL number your bank gave us is not the one on this account, so we could not confirm your "
        "identity. Nothing was changed."
    ),
    policies.IdentityRefusal.DOCUMENT_REQUIRED: _("Record the identity document you checked."),
    policies.IdentityRefusal.TERMS_NOT_SIGNED: _("The patient must sign the portal terms first."),
}


def _identity_refused(refusal: policies.IdentityRefusal) -> None:
    message = IDENTITY_REFUSALS[refusal]
    if refusal == policies.IdentityRefusal.ALREADY_CONFIRMED:
        raise Conflict(message, code=refusal.value)
    if refusal == policies.IdentityRefusal.METHOD_NOT_ALLOWED:
        raise PermissionDenied(message, code=refusal.value)
    raise ValidationFailed(message, code=refusal.value)


def identity_confirm(
    *,
    patient: Patient,
    method: str,
    actor: User,
    document: str = "",
    terms_signed: bool = False,
    note: str = "",
    now: dt.datetime | None = None,
) -> IdentityConfirmation:
    """ACC-5: confirm a patient's identity — level I → II — and record who confirmed it, how and when.

    ``method`` is bank (the patient themself, after :func:`identity_confirm_bank` checked the bank's answer), call
    centre or contact form (call centre, admin), in person (reception, admin: the checked document and signed
    portal terms are required). An account already at level II is refused (``already_confirmed``) and nothing new
    is recorded. ``document`` is stored as given: callers pass it masked (:func:`policies.document_masked`).
    """
    now = now or clock.now()
    identity_method = policies.IdentityMethod(method)
    with transaction.atomic():
        locked = Patient.objects.select_for_update().get(pk=patient.pk)
        refusal = policies.identity_confirmation_refusal(
            method=identity_method,
            actor=actor_for_user(actor),
            level=locked.account_level,
            document=document,
            terms_signed=terms_signed,
        )
        if identity_method == policies.IdentityMethod.BANK and actor.pk != locked.user_id:
            refusal = policies.IdentityRefusal.METHOD_NOT_ALLOWED  # a bank vouches only for its own customer
        if refusal is not None:
            _identity_refused(refusal)
        confirmation = IdentityConfirmation.objects.create(
            patient=locked,
            method=identity_method.value,
            confirmed_by=actor,
            confirmed_at=now,
            document=document.strip()[:60],
            terms_signed=terms_signed,
            note=note.strip()[:200],
        )
        locked.account_level = Patient.Level.FULL
        locked.save(update_fields=["account_level"])
    patient.account_level = Patient.Level.FULL
    return confirmation


def identity_confirm_bank(
    *, patient: Patient, claimed_pesel: str | None, subject: str = "", now: dt.datetime | None = None
) -> IdentityConfirmation:
    """ACC-5 online: the bank vouched for a person (its verified ID token); confirm the patient only when they are
    18 or older today and the PESEL the bank gave is theirs. Otherwise a Polish refusal and nothing changed."""
    now = now or clock.now()
    if patient.user is None:
        raise PermissionDenied(IDENTITY_REFUSALS[policies.IdentityRefusal.METHOD_NOT_ALLOWED], code="no_login")
    if patient.account_level >= Patient.Level.FULL:
        _identity_refused(policies.IdentityRefusal.ALREADY_CONFIRMED)
    refusal = policies.bank_confirmation_refusal(
        claimed_pesel=claimed_pesel,
        patient_pesel=patient.pesel,
        birth_date=patient.birth_date,
        today=clock.local(now).date(),
    )
    if refusal is not None:
        _identity_refused(refusal)
    note = f"OpenID Connect sub {subject}" if subject else ""
    return identity_confirm(
        patient=patient, method=policies.IdentityMethod.BANK, actor=patient.user, note=note, now=now
    )


def identity_request_submit(
    *, patient: Patient, message: str, phone_time: str = "", now: dt.datetime | None = None
) -> IdentityRequest:
    """ACC-5 contact form: a level I patient asks staff to confirm their identity; at most one open request."""
    now = now or clock.now()
    message, phone_time = message.strip(), phone_time.strip()
    if not message:
        raise ValidationFailed(_("Please write a few words for the call centre."), code="message_required")
    with transaction.atomic():
        locked = Patient.objects.select_for_update().get(pk=patient.pk)
        if locked.account_level >= Patient.Level.FULL:
            _identity_refused(policies.IdentityRefusal.ALREADY_CONFIRMED)
        open_request = _("You already have a request waiting for review.")
        if IdentityRequest.objects.filter(patient=locked, status=IdentityRequest.Status.OPEN).exists():
            raise Conflict(open_request, code="request_open")
        try:
            with transaction.atomic():
                return IdentityRequest.objects.create(
                    patient=locked, message=message[:1000], phone_time=phone_time[:100], created_at=now
                )
        except IntegrityError as exc:  # pragma: no cover - the lock above serialises a patient's requests
            raise Conflict(open_request, code="request_open") from exc


def _identity_request_open(request_id: int) -> IdentityRequest:
    found = IdentityRequest.objects.select_for_update().select_related("patient").filter(pk=request_id).first()
    if found is None:
        raise NotFound(_("No such request."), code="request_not_found")
    if found.status != IdentityRequest.Status.OPEN:
        raise Conflict(_("This request has already been reviewed."), code="request_closed")
    return found


def _may_review(actor: User) -> None:
    if not actor_for_user(actor).can(Action.IDENTITY_REQUEST_REVIEW):
        _identity_refused(policies.IdentityRefusal.METHOD_NOT_ALLOWED)


def identity_request_approve(
    *, request_id: int, actor: User, note: str = "", now: dt.datetime | None = None
) -> IdentityRequest:
    """ACC-5: staff approve a contact-form request: the identity is confirmed (method "contact form"). When the
    patient was confirmed another way meanwhile, the request is closed without a second confirmation."""
    now = now or clock.now()
    _may_review(actor)
    with transaction.atomic():
        request = _identity_request_open(request_id)
        if request.patient.account_level < Patient.Level.FULL:
            identity_confirm(
                patient=request.patient,
                method=policies.IdentityMethod.CONTACT_FORM,
                actor=actor,
                note=(note.strip() or gettext("Contact-form request #%(id)s") % {"id": request.pk})[:200],
                now=now,
            )
        request.status = IdentityRequest.Status.APPROVED
        request.reviewed_by, request.reviewed_at = actor, now
        request.reason = note.strip()[:300]
        request.save(update_fields=["status", "reviewed_by", "reviewed_at", "reason"])
    return request


def identity_request_reject(
    *, request_id: int, actor: User, reason: str, now: dt.datetime | None = None
) -> IdentityRequest:
    """ACC-5: staff reject a contact-form request with a reason the patient sees; the level stays I."""
    now = now or clock.now()
    _may_review(actor)
    reason = reason.strip()
    if not reason:
        raise ValidationFailed(_("Give the patient a reason."), code="reason_required")
    with transaction.atomic():
        request = _identity_request_open(request_id)
        request.status = IdentityRequest.Status.REJECTED
        request.reviewed_by, request.reviewed_at, request.reason = actor, now, reason[:300]
        request.save(update_fields=["status", "reviewed_by", "reviewed_at", "reason"])
    return request


# --- Password reset by staff (ACC-6) ----------------------------------------------------------------------------


def patient_password_reset(
    *, patient: Patient, actor: User, two_factor_off: bool = False, now: dt.datetime | None = None
) -> PasswordReset:
    """ACC-6: the call centre or a reception desk resets a patient's password: the old one stops working, a new
    first password goes out by SMS (the per-phone hourly limit applies, ``too_many_sms``), the patient must set
    their own at the next login, every API bearer token of theirs is revoked (the app logs in again), and the
    reset is recorded (who, how, when). With ``two_factor_off`` (a patient who lost their authenticator) their TOTP
    devices are removed too, and the record says so. A patient without a login of their own (a child) cannot be
    reset (``no_login``)."""
    now = now or clock.now()
    channel = actor_for_user(actor).channel(Action.PASSWORD_RESET)
    if channel is None:
        raise PermissionDenied(_("Your role does not reset passwords."), code="role_not_allowed")
    if patient.user_id is None:
        raise ValidationFailed(
            _(
                "This patient has no portal login of their own (a child uses their guardian's), so there is no "
                "password to reset."
            ),
            code="no_login",
        )
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=patient.user_id)
        first_password_send(user=user, now=now)
        user.set_unusable_password()
        user.must_change_password = True
        user.save(update_fields=["password", "must_change_password"])
        password_changed.send(sender=User, user=user, now=now)
        removed = two_factor_off and two_factor.devices_remove(user=user) > 0
        return PasswordReset.objects.create(
            user=user, patient=patient, reset_by=actor, reset_at=now, channel=channel, two_factor_removed=removed
        )

"""Pure rules about people: PESEL (ACC-1), Polish mobile numbers (ACC-2), registration against the roster (ACC-1,
ACC-7) and the first password (ACC-2). No Django imports."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength
from stdnum.pl import pesel as stdnum_pesel

from carenet.accounts.permissions import Action, Actor
from carenet.core.dates import age_on
from carenet.core.phones import InvalidPhoneNumber, is_polish_mobile, may_be_mobile, normalize_phone


class PeselProblem(StrEnum):
    FORMAT = "pesel_format"
    CHECKSUM = "pesel_checksum"
    BIRTH_DATE = "pesel_birth_date"
    FUTURE = "pesel_future_birth_date"


class PhoneProblem(StrEnum):
    FORMAT = "phone_format"
    NOT_MOBILE = "phone_not_mobile"
    NOT_POLISH = "phone_not_polish"


@dataclass(frozen=True)
class PeselFacts:
    pesel: str
    birth_date: dt.date
    sex: str  # "F" or "M"


class InvalidPesel(ValueError):
    def __init__(self, problem: PeselProblem):
        super().__init__(problem.value)
        self.problem = problem


class InvalidPhone(ValueError):
    def __init__(self, problem: PhoneProblem):
        super().__init__(problem.value)
        self.problem = problem


def parse_pesel(raw: str, *, today: dt.date) -> PeselFacts:
    """ACC-1: a PESEL is 11 digits with a valid checksum encoding a real birth date (not in the future).

    Returns the birth date and sex it encodes; raises :class:`InvalidPesel` naming the problem.
    """
    number = (raw or "").strip().replace(" ", "")
    if len(number) != 11 or not number.isdigit():
        raise InvalidPesel(PeselProblem.FORMAT)
    try:
        stdnum_pesel.validate(number)
    except InvalidChecksum as exc:
        raise InvalidPesel(PeselProblem.CHECKSUM) from exc
    except InvalidComponent as exc:
        raise InvalidPesel(PeselProblem.BIRTH_DATE) from exc
    except (InvalidFormat, InvalidLength) as exc:  # pragma: no cover - guarded by the digit check above
        raise InvalidPesel(PeselProblem.FORMAT) from exc
    birth_date = stdnum_pesel.get_birth_date(number)
    if birth_date > today:
        raise InvalidPesel(PeselProblem.FUTURE)
    sex = "F" if stdnum_pesel.get_gender(number) == "F" else "M"
    return PeselFacts(pesel=number, birth_date=birth_date, sex=sex)


def normalize_mobile(raw: str) -> str:
    """ACC-2: a Polish mobile number in E.164 (+48XXXXXXXXX); accepts spaces, dashes, 0048 and +48 prefixes.

    Raises :class:`InvalidPhone` for anything that is not a valid Polish mobile number.
    """
    try:
        e164 = normalize_phone(raw)
    except InvalidPhoneNumber as exc:
        raise InvalidPhone(PhoneProblem.FORMAT) from exc
    if not e164.startswith("+48"):
        raise InvalidPhone(PhoneProblem.NOT_POLISH)
    if not is_polish_mobile(e164):
        raise InvalidPhone(PhoneProblem.NOT_MOBILE)
    return e164


# --- Registration against the roster (ACC-1, ACC-7) -----------------------------------------------------------

# Letters NFKD does not split into a base letter and a mark (Polish ł, and a few neighbours' letters).
_UNSPLIT_LETTERS = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ß": "ss", "æ": "ae", "œ": "oe"})


def name_key(name: str) -> str:
    """ACC-1: a name compared without case, diacritics or surrounding/duplicate spaces ("Łukasz" == "lukasz")."""
    folded = " ".join((name or "").split()).casefold().translate(_UNSPLIT_LETTERS)
    decomposed = unicodedata.normalize("NFKD", folded)
    return "".join(char for char in decomposed if not unicodedata.combining(char))


@dataclass(frozen=True)
class RegistrationFacts:
    """What a person typed on the registration form; ``pesel`` and ``mobile`` already validated (E.164)."""

    first_name: str
    last_name: str
    pesel: str
    mobile: str


@dataclass(frozen=True)
class RosterFacts:
    """One roster entry: the person the employer or insurer ordered a package for, and its dates (PKG-3)."""

    first_name: str
    last_name: str
    pesel: str
    mobile: str
    activation_date: dt.date
    paid_through: dt.date


def roster_matches(registration: RegistrationFacts, entry: RosterFacts) -> bool:
    """ACC-1: the roster entry is this person: first and last name equal without case and diacritics, the PESEL
    exactly equal and the mobile number equal once both are in E.164. A roster entry without a valid mobile number
    never matches (ACC-2: the first password goes to that number)."""
    if registration.pesel != entry.pesel:
        return False
    if name_key(registration.first_name) != name_key(entry.first_name):
        return False
    if name_key(registration.last_name) != name_key(entry.last_name):
        return False
    try:
        return normalize_mobile(entry.mobile) == normalize_mobile(registration.mobile)
    except InvalidPhone:
        return False


def package_active(entry: RosterFacts, *, today: dt.date) -> bool:
    """ACC-7, PKG-3: the package is active from its activation date through its last paid day, both inclusive."""
    return entry.activation_date <= today <= entry.paid_through


# --- The first password (ACC-2) -------------------------------------------------------------------------------

#: Letters and digits a person reads off a phone screen without confusing them (no 0/o, 1/l/i).
FIRST_PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # noqa: S105 - an alphabet, not a password
FIRST_PASSWORD_GROUPS = 3
FIRST_PASSWORD_GROUP_LENGTH = 4


def first_password_generate(choice: Callable[[str], str]) -> str:
    """ACC-2: a random first password of 12 readable characters in groups of four ("k7mp-q3xa-9rtw").

    ``choice`` is the random source (``secrets.choice`` in production)."""
    groups = (
        "".join(choice(FIRST_PASSWORD_ALPHABET) for _ in range(FIRST_PASSWORD_GROUP_LENGTH))
        for _ in range(FIRST_PASSWORD_GROUPS)
    )
    return "-".join(groups)


def first_password_expires_at(created_at: dt.datetime, *, minutes: int) -> dt.datetime:
    """ACC-2: a first password is valid for ``minutes`` (10) after it was sent."""
    return created_at + dt.timedelta(minutes=minutes)


def first_password_usable(*, expires_at: dt.datetime, used_at: dt.datetime | None, now: dt.datetime) -> bool:
    """ACC-2: a first password works once, and only before it expires."""
    return used_at is None and now < expires_at


def first_password_sms_allowed(*, sent_at: Sequence[dt.datetime], now: dt.datetime, per_hour: int) -> bool:
    """ACC-2: at most ``per_hour`` (3) first-password SMS to one phone within any hour."""
    hour_ago = now - dt.timedelta(hours=1)
    return sum(1 for moment in sent_at if hour_ago < moment <= now) < per_hour


# --- Account levels (ACC-3, ACC-4) ----------------------------------------------------------------------------


class Feature(StrEnum):
    """What a patient does in the portal, the mobile app or the API. Levels decide which of these they may use."""

    # ACC-3: level I (basic).
    BOOK_VISITS = "book_visits"  # phone consultations, in-person visits, selected exams (at most 10 active)
    BOOK_OCCUPATIONAL = "book_occupational"
    CANCEL_VISITS = "cancel_visits"  # only those booked through the portal
    LIST_BOOKINGS = "list_bookings"  # the planned visits
    CONFIRM_IDENTITY = "confirm_identity"
    # ACC-4: level II (full) adds these.
    TEST_RESULTS = "test_results"
    E_PRESCRIPTIONS = "e_prescriptions"
    REFERRALS = "referrals"
    RECOMMENDATIONS = "recommendations"
    SICK_LEAVE = "sick_leave"  # e-ZLA issued to the patient (CLN-5)
    ONLINE_CONSULTATIONS = "online_consultations"
    ASK_THE_DOCTOR = "ask_the_doctor"
    FILE_UPLOADS = "file_uploads"
    REHABILITATION = "rehabilitation"
    VISIT_HISTORY = "visit_history"  # past and cancelled visits (at least the last year)
    ECARD = "ecard"
    READS_OF_MY_DATA = "reads_of_my_data"  # who viewed my data (CLN-6, issue 10)


LEVEL_ONE = 1
LEVEL_TWO = 2

#: ACC-3: everything a level I account may do.
LEVEL_ONE_FEATURES: frozenset[Feature] = frozenset(
    {
        Feature.BOOK_VISITS,
        Feature.BOOK_OCCUPATIONAL,
        Feature.CANCEL_VISITS,
        Feature.LIST_BOOKINGS,
        Feature.CONFIRM_IDENTITY,
    }
)
#: ACC-4: what level II adds; with level I's, everything a level II account may do.
LEVEL_TWO_FEATURES: frozenset[Feature] = frozenset(Feature) - LEVEL_ONE_FEATURES


def feature_allowed(feature: Feature, *, level: int) -> bool:
    """ACC-3, ACC-4: whether an account at ``level`` (1 or 2) may use ``feature``. Anything unknown is refused."""
    if feature in LEVEL_ONE_FEATURES:
        return level in (LEVEL_ONE, LEVEL_TWO)
    return level == LEVEL_TWO and feature in LEVEL_TWO_FEATURES


# --- Identity confirmation (ACC-5) and password reset (ACC-6) --------------------------------------------------

#: ACC-5: the bank identity provider confirms only adults.
BANK_MIN_AGE = 18


class IdentityMethod(StrEnum):
    BANK = "bank"
    CALL_CENTRE = "call_centre"
    CONTACT_FORM = "contact_form"
    IN_PERSON = "in_person"


class IdentityRefusal(StrEnum):
    ALREADY_CONFIRMED = "already_confirmed"
    METHOD_NOT_ALLOWED = "identity_method_not_allowed"
    BANK_UNDER_AGE = "bank_under_age"
    BANK_PESEL_MISSING = "bank_pesel_missing"
    BANK_PESEL_MISMATCH = "bank_pesel_mismatch"
    DOCUMENT_REQUIRED = "document_required"
    TERMS_NOT_SIGNED = "terms_not_signed"


#: ACC-5: the action of the permission table each method needs (the bank: the patient themself).
IDENTITY_METHOD_ACTIONS: dict[IdentityMethod, Action] = {
    IdentityMethod.BANK: Action.IDENTITY_CONFIRM_BANK,
    IdentityMethod.CALL_CENTRE: Action.IDENTITY_CONFIRM_PHONE,
    IdentityMethod.CONTACT_FORM: Action.IDENTITY_REQUEST_REVIEW,
    IdentityMethod.IN_PERSON: Action.IDENTITY_CONFIRM_IN_PERSON,
}


def identity_confirmation_refusal(
    *, method: IdentityMethod, actor: Actor, level: int, document: str, terms_signed: bool
) -> IdentityRefusal | None:
    """ACC-5: why this confirmation cannot be recorded, or ``None``.

    In order: the permission table must let the actor confirm by this method; an account already at level II is
    not confirmed again (nothing new is recorded); in person, the checked ID document is recorded and the portal
    terms signed."""
    if not actor.can(IDENTITY_METHOD_ACTIONS[method]):
        return IdentityRefusal.METHOD_NOT_ALLOWED
    if level >= LEVEL_TWO:
        return IdentityRefusal.ALREADY_CONFIRMED
    if method == IdentityMethod.IN_PERSON:
        if not document.strip():
            return IdentityRefusal.DOCUMENT_REQUIRED
        if not terms_signed:
            return IdentityRefusal.TERMS_NOT_SIGNED
    return None


def bank_confirmation_refusal(
    *, claimed_pesel: str | None, patient_pesel: str, birth_date: dt.date, today: dt.date
) -> IdentityRefusal | None:
    """ACC-5: the bank confirms only a patient aged 18 or more on the day, and only when the PESEL the bank
    vouches for is the patient's own."""
    if birth_date > today or age_on(birth_date, today) < BANK_MIN_AGE:
        return IdentityRefusal.BANK_UNDER_AGE
    claimed = (claimed_pesel or "").strip()
    if not claimed:
        return IdentityRefusal.BANK_PESEL_MISSING
    if claimed != patient_pesel:
        return IdentityRefusal.BANK_PESEL_MISMATCH
    return None


def document_masked(number: str) -> str:
    """ACC-5: an identity document's number is kept only as its last four characters ("•••• 1234")."""
    compact = "".join(number.split()).upper()
    return f"•••• {compact[-4:]}" if compact else ""


# --- Contact data and consents (ACC-8) --------------------------------------------------------------------------


class ContactProblem(StrEnum):
    POSTCODE = "postcode_invalid"
    ADDRESS_INCOMPLETE = "address_incomplete"


class InvalidContact(ValueError):
    def __init__(self, problem: ContactProblem):
        super().__init__(problem.value)
        self.problem = problem


_POSTCODE = re.compile(r"(\d{2})-?(\d{3})")


def normalize_postcode(raw: str) -> str:
    """ACC-8: a Polish postcode "NN-NNN" (typed with or without the dash)."""
    match = _POSTCODE.fullmatch((raw or "").strip())
    if match is None or not match.group(0).isascii():
        raise InvalidContact(ContactProblem.POSTCODE)
    return f"{match.group(1)}-{match.group(2)}"


def address_parts(*, street: str, postcode: str, city: str) -> tuple[str, str, str]:
    """ACC-8: the postal address — street, postcode, city — all three given or none (a blank address)."""
    parts = (" ".join(street.split()), (postcode or "").strip(), " ".join(city.split()))
    if not any(parts):
        return "", "", ""
    if not all(parts):
        raise InvalidContact(ContactProblem.ADDRESS_INCOMPLETE)
    return parts[0], normalize_postcode(parts[1]), parts[2]


def normalize_contact_mobile(raw: str) -> str:
    """ACC-8: the patient's own mobile in E.164: a Polish mobile (written nationally or with +48), or a foreign one
    written with its country code (+49 …). Polish landlines and numbers of no known type are refused."""
    try:
        e164 = normalize_phone(raw)
    except InvalidPhoneNumber as exc:
        raise InvalidPhone(PhoneProblem.FORMAT) from exc
    if e164.startswith("+48"):
        if not is_polish_mobile(e164):
            raise InvalidPhone(PhoneProblem.NOT_MOBILE)
        return e164
    if not may_be_mobile(e164):
        raise InvalidPhone(PhoneProblem.NOT_MOBILE)
    return e164


def mask_phone(e164: str) -> str:
    """ "+48 *** *** 200": enough for the owner to recognise their number, not enough to dial it."""
    if not e164:
        return ""
    return f"{e164[:3]} *** *** {e164[-3:]}" if len(e164) > 6 else "***"


def mask_email(email: str) -> str:
    """ "a***@example.pl"."""
    if not email:
        return ""
    local, _at, domain = email.partition("@")
    return f"{local[:1]}***@{domain}" if domain else "***"


def mask_address(*, street: str, postcode: str, city: str) -> str:
    """ "ul. K***, 00-***, Warszawa": the city and the postcode's region, not where the patient lives."""
    if not (street or postcode or city):
        return ""
    return f"{street[:4]}***, {postcode[:3]}***, {city}"


class ConsentKind(StrEnum):
    """The values of ``accounts.models.ConsentKind``."""

    SMS_NOTICES = "sms_notices"
    EMAIL_NOTICES = "email_notices"
    MARKETING = "marketing"


#: ACC-8: the state of a consent nobody decided about yet. Notices about the patient's own care (reminders, check-in
#: questions, survey invitations) are part of the service they signed up for and go out until withdrawn;
#: marketing needs an explicit "yes" (GDPR: consent is opt-in). Transactional messages — the first password, codes,
#: booking confirmations and cancellations, a closure notice — are not notices and ignore consents.
CONSENT_DEFAULTS: dict[ConsentKind, bool] = {
    ConsentKind.SMS_NOTICES: True,
    ConsentKind.EMAIL_NOTICES: True,
    ConsentKind.MARKETING: False,
}


def consent_holder(*, patient_id: int, guardian_id: int | None, minor: bool) -> int:
    """ACC-8: whose decision a patient's consents are: their own, or for a child under 18 with a guardian the
    guardian's (the child's notices go to the guardian's phone, and the guardian decides for them)."""
    return guardian_id if minor and guardian_id is not None else patient_id


class PhoneCodeOutcome(StrEnum):
    OK = "ok"
    WRONG = "code_wrong"
    EXPIRED = "code_expired"
    TOO_MANY = "too_many_attempts"


def phone_code_check(
    *, matches: bool, attempts: int, max_attempts: int, expires_at: dt.datetime, now: dt.datetime
) -> PhoneCodeOutcome:
    """ACC-8: a code typed for a phone change: spent after ``max_attempts`` wrong tries or once expired, whatever
    is typed; otherwise right or wrong."""
    if attempts >= max_attempts:
        return PhoneCodeOutcome.TOO_MANY
    if now >= expires_at:
        return PhoneCodeOutcome.EXPIRED
    return PhoneCodeOutcome.OK if matches else PhoneCodeOutcome.WRONG


def phone_code_sms_allowed(*, sent_at: Sequence[dt.datetime], now: dt.datetime, per_hour: int) -> bool:
    """ACC-8: at most ``per_hour`` codes within the last hour (per patient, and per new number)."""
    return sum(1 for moment in sent_at if now - moment < dt.timedelta(hours=1)) < per_hour


def phone_code_generate(choice: Callable[[str], str]) -> str:
    """Six digits (``secrets.choice`` in production)."""
    return "".join(choice("0123456789") for _ in range(6))

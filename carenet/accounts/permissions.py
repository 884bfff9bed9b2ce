"""Who may do what: the one permission table of CareNet and the :class:`Actor` it is asked about (SEC, CLN-6,
ACC-3, ACC-4, BKG-1).

Pure Python, no Django. Every door — the patient's pages, the consoles, the JSON API, the SMS commands — and every
``access_*`` selector, service actor check and template (through :class:`Can`) asks :func:`grant`. No role string
appears anywhere else: code names a :class:`Role` member only to build an :class:`Actor`, never to decide.

A grant has a *scope* — whose data the action reaches — and, for actions that book or cancel, the *channel* the
visit records (BKG-1):

* ``OWN`` — the patient themself and the children under 18 they are the guardian of;
* ``FACILITY`` — what happens at the actor's own facility (a receptionist's desk);
* ``RELATED`` — the patients a clinician has a relationship with: a visit with them (CLN-6);
* ``CONTRACT`` — the people on the roster of the actor's own contract (an employer's or insurer's contact, PKG-8):
  who is enrolled and until when, never anyone's medical data;
* ``ANY`` — every patient.

A patient's page is not a visit: a receptionist may open any patient's page to book at their desk or confirm an
identity, but sees on it only the visits at their facility (the service of a visit — psychiatry, gynaecology — is
health data).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum


class Role(StrEnum):
    """The values of ``accounts.User.Role``; an anonymous visitor has no role."""

    PATIENT = "patient"
    CALL_CENTRE = "call_centre"
    RECEPTIONIST = "receptionist"
    CLINICIAN = "clinician"
    COORDINATOR = "coordinator"
    ADMIN = "admin"
    PARTNER_STAFF = "partner_staff"
    EMPLOYER_CONTACT = "employer_contact"


class Channel(StrEnum):
    """BKG-1: the values of ``booking.models.Channel`` (the way a visit was booked or cancelled)."""

    PORTAL = "portal"
    MOBILE = "mobile"
    CALL_CENTRE = "call_centre"
    RECEPTION = "reception"
    STAFF_CHAT = "staff_chat"
    SMS = "sms"


class Scope(StrEnum):
    OWN = "own"
    FACILITY = "facility"
    RELATED = "related"
    CONTRACT = "contract"
    ANY = "any"


class Action(StrEnum):
    """Everything a door lets someone do. Grouped by who typically does it; the table decides."""

    # The patient's own pages and API (ACC-3, ACC-4, ACC-7).
    PORTAL_USE = "portal.use"
    READS_OF_MY_DATA_VIEW = "reads_of_my_data.view"
    IDENTITY_CONFIRM_BANK = "identity.confirm_bank"
    # The consoles.
    CONSOLE_OPEN = "console.open"
    PATIENT_FIND = "patient.find"
    PATIENT_VIEW = "patient.view"
    APPOINTMENT_VIEW = "appointment.view"
    APPOINTMENT_BOOK = "appointment.book"
    APPOINTMENT_CANCEL = "appointment.cancel"
    SLOT_SEARCH = "slot.search"
    IDENTITY_CONFIRM_PHONE = "identity.confirm_phone"
    IDENTITY_CONFIRM_IN_PERSON = "identity.confirm_in_person"
    IDENTITY_REQUEST_REVIEW = "identity.review_requests"
    PASSWORD_RESET = "password.reset"  # noqa: S105 - an action, not a secret
    DAY_LIST_VIEW = "arrival.day_list"
    ARRIVAL_RECORD = "arrival.record"
    CHECK_IN_UNDO = "arrival.undo_check_in"
    ENTRANCE_SCREEN = "arrival.entrance_screen"
    NO_SHOW_VIEW = "no_show.view"
    NO_SHOW_LIFT = "no_show.lift"
    ECARD_VERIFY = "ecard.verify"
    MEDICAL_RECORD_VIEW = "medical_record.view"
    BACK_OFFICE = "back_office.open"
    READ_RECORD_AUDIT = "read_record.audit"
    # The clinician's side (CLN-1..6, TEL-1): their day and call list, the visit record, the documents they issue.
    VISIT_DAY_LIST = "encounter.day_list"
    VISIT_OPEN = "encounter.open"
    VISIT_CLOSE = "encounter.close"
    CALL_RECORD = "encounter.call_record"
    DOCUMENT_ISSUE = "clinical.issue"
    REFERRAL_VALIDITY_EXTEND = "clinical.referral_validity_extend"
    # Prescription renewals (CLN-2) and Ask the doctor (CLN-4).
    RENEWAL_REQUEST = "renewal.request"
    RENEWAL_DECIDE = "renewal.decide"
    QUESTION_ASK = "question.ask"
    QUESTION_ANSWER = "question.answer"
    # Results (CLN-3): reading them (a patient: their own and their children's; a clinician: those they ordered or of
    # a patient they have a visit with), handing them over at the desk, the back office's queue of HL7 messages that
    # matched nobody, and the authorisations to collect another person's results.
    RESULT_VIEW = "result.view"
    RESULT_HAND_OVER = "result.hand_over"
    RESULT_REVIEW = "result.review"
    COLLECTION_AUTHORISATION_VIEW = "collection_authorisation.view"
    COLLECTION_AUTHORISATION_RECORD = "collection_authorisation.record"
    COLLECTION_AUTHORISATION_REVOKE = "collection_authorisation.revoke"
    # Patients' files (FIL-1, FIL-2) and attaching them to a consultation (TEL-3); a clinician reads them with a
    # relationship (CLN-6).
    FILE_UPLOAD = "file.upload"
    FILE_VIEW = "file.view"
    FILE_DELETE = "file.delete"
    FILE_ATTACH = "file.attach"
    # Online consultations (TEL-2, TEL-3, FBK-1): a patient starts one for themself or their child, waits, takes
    # part in the room (chat, voice, video), reads its transcript and answers the survey; a clinician on duty takes
    # the next patient of a line (never picks: the queue decides whom, so the grant is not scoped to a
    # relationship), takes part in their own consultations and ends them; coordinators plan the duties and watch
    # the queues (counts only, no patient data).
    CONSULTATION_START = "consultation.start"
    CONSULTATION_VIEW = "consultation.view"
    CONSULTATION_JOIN = "consultation.join"
    CONSULTATION_SURVEY = "consultation.survey"
    CONSULTATION_TAKE = "consultation.take"
    CONSULTATION_END = "consultation.end"
    CONSULTATION_QUEUE_VIEW = "consultation.queue_view"
    DUTY_MANAGE = "consultation.duty_manage"
    # Running the network (issue 15). NET-3: a coordinator closes a facility or a clinician's schedule for a period
    # (the booked visits cancelled, the patients told by SMS and offered alternatives) and follows how many rebooked;
    # the call centre calls those who did not.
    CLOSURE_MANAGE = "closure.manage"
    CLOSURE_FOLLOW_UP = "closure.follow_up"
    # BKG-7: where a patient's pregnancy is led (recorded by a clinician with a relationship, or a coordinator); a
    # request for pregnancy care elsewhere filed by the patient or the call centre, resolved by coordinators.
    PREGNANCY_CARE_RECORD = "pregnancy.care_record"
    PREGNANCY_REQUEST_FILE = "pregnancy.request_file"
    PREGNANCY_REQUEST_VIEW = "pregnancy.request_view"
    PREGNANCY_REQUEST_RESOLVE = "pregnancy.request_resolve"
    # FBK-1: "Oceń wizytę" and "Oceń nas"; the ratings and comments read by coordinators.
    FEEDBACK_GIVE = "feedback.give"
    FEEDBACK_VIEW = "feedback.view"
    # FBK-2: complaints (reklamacje), FBK-3: insurance claims (roszczenia) — filed, followed, answered or decided.
    COMPLAINT_FILE = "complaint.file"
    COMPLAINT_VIEW = "complaint.view"
    COMPLAINT_HANDLE = "complaint.handle"
    CLAIM_FILE = "claim.file"
    CLAIM_VIEW = "claim.view"
    CLAIM_DECIDE = "claim.decide"
    # BEY-4: the coordinators' dashboard (figures of the network, no patient).
    DASHBOARD_VIEW = "dashboard.view"
    # PKG-7: "Twój pakiet medyczny"; PKG-3, PKG-8: the roster of a contract, kept by its employer's or insurer's
    # contact (upload, validation report, paid-through dates), never anyone's medical data.
    PACKAGE_VIEW = "package.view"
    ROSTER_VIEW = "roster.view"
    ROSTER_UPLOAD = "roster.upload"
    # ACC-8: "Twoje dane", "Twoje zgody" — the patient's contact data and consents.
    CONTACT_DATA_EDIT = "contact_data.edit"


@dataclass(frozen=True, slots=True)
class Grant:
    """What a role may do with an action: over whose data, and through which channels (the first is its default)."""

    scope: Scope
    channels: tuple[Channel, ...] = ()

    @property
    def channel(self) -> Channel | None:
        return self.channels[0] if self.channels else None


_OWN = Grant(Scope.OWN)
_ANY = Grant(Scope.ANY)
_FACILITY = Grant(Scope.FACILITY)
_RELATED = Grant(Scope.RELATED)
_CONTRACT = Grant(Scope.CONTRACT)
_PATIENT_CHANNELS = (Channel.PORTAL, Channel.MOBILE)
#: The doors a patient acts through themself: the visit records the door (BKG-1).
PATIENT_DOORS = frozenset(_PATIENT_CHANNELS)
_CALL_CENTRE_CHANNELS = (Channel.CALL_CENTRE, Channel.STAFF_CHAT)
# An administrator stands in for the call centre by default and may record any staff channel (never SMS, which is
# the patient's own reply).
_ADMIN_CHANNELS = (Channel.CALL_CENTRE, Channel.STAFF_CHAT, Channel.RECEPTION, Channel.PORTAL, Channel.MOBILE)

#: The table: role × action → grant. An action a role does not list is refused.
PERMISSIONS: Mapping[Role, Mapping[Action, Grant]] = {
    Role.PATIENT: {
        Action.PORTAL_USE: _OWN,
        Action.READS_OF_MY_DATA_VIEW: _OWN,
        Action.IDENTITY_CONFIRM_BANK: _OWN,
        Action.PATIENT_VIEW: _OWN,
        Action.APPOINTMENT_VIEW: _OWN,
        Action.APPOINTMENT_BOOK: Grant(Scope.OWN, _PATIENT_CHANNELS),
        # CXL-2: a patient also cancels by answering NIE from their phone.
        Action.APPOINTMENT_CANCEL: Grant(Scope.OWN, (*_PATIENT_CHANNELS, Channel.SMS)),
        Action.SLOT_SEARCH: _OWN,
        Action.NO_SHOW_VIEW: _OWN,
        Action.MEDICAL_RECORD_VIEW: _OWN,
        # CLN-2, CLN-4 (level II, ACC-4: the portal and the app also ask the level).
        Action.RENEWAL_REQUEST: Grant(Scope.OWN, _PATIENT_CHANNELS),
        Action.QUESTION_ASK: _OWN,
        # CLN-3, FIL-1, FIL-2, TEL-3 (level II, ACC-4: the portal and the app also ask the level).
        Action.RESULT_VIEW: _OWN,
        Action.COLLECTION_AUTHORISATION_VIEW: _OWN,
        Action.COLLECTION_AUTHORISATION_REVOKE: _OWN,
        Action.FILE_UPLOAD: _OWN,
        Action.FILE_VIEW: _OWN,
        Action.FILE_DELETE: _OWN,
        Action.FILE_ATTACH: _OWN,
        # TEL-2 (level II, ACC-4: the portal and the app also ask the level).
        Action.CONSULTATION_START: Grant(Scope.OWN, _PATIENT_CHANNELS),
        Action.CONSULTATION_VIEW: _OWN,
        Action.CONSULTATION_JOIN: _OWN,
        Action.CONSULTATION_SURVEY: _OWN,
        # Issue 15: rebooking a closed facility's visit goes through APPOINTMENT_BOOK; pregnancy-care requests,
        # ratings, complaints and claims, the package and the contact data are the patient's own.
        Action.PREGNANCY_REQUEST_FILE: Grant(Scope.OWN, _PATIENT_CHANNELS),
        Action.PREGNANCY_REQUEST_VIEW: _OWN,
        Action.FEEDBACK_GIVE: _OWN,
        Action.COMPLAINT_FILE: Grant(Scope.OWN, _PATIENT_CHANNELS),
        Action.COMPLAINT_VIEW: _OWN,
        Action.CLAIM_FILE: Grant(Scope.OWN, _PATIENT_CHANNELS),
        Action.CLAIM_VIEW: _OWN,
        Action.PACKAGE_VIEW: _OWN,
        Action.CONTACT_DATA_EDIT: _OWN,
    },
    Role.CALL_CENTRE: {
        Action.CONSOLE_OPEN: _ANY,
        Action.PATIENT_FIND: _ANY,
        Action.PATIENT_VIEW: _ANY,
        Action.APPOINTMENT_VIEW: _ANY,
        Action.APPOINTMENT_BOOK: Grant(Scope.ANY, _CALL_CENTRE_CHANNELS),
        Action.APPOINTMENT_CANCEL: Grant(Scope.ANY, _CALL_CENTRE_CHANNELS),
        Action.SLOT_SEARCH: _ANY,
        Action.IDENTITY_CONFIRM_PHONE: _ANY,
        Action.IDENTITY_REQUEST_REVIEW: _ANY,
        Action.PASSWORD_RESET: Grant(Scope.ANY, (Channel.CALL_CENTRE,)),
        Action.DAY_LIST_VIEW: _ANY,
        Action.NO_SHOW_VIEW: _ANY,
        Action.NO_SHOW_LIFT: _ANY,
        Action.ECARD_VERIFY: _ANY,
        # CLN-2: "Zamów receptę" by phone — only drugs a network clinician prescribed before.
        Action.RENEWAL_REQUEST: Grant(Scope.ANY, (Channel.CALL_CENTRE,)),
        # NET-3: the patients of a closure who did not rebook within a day, to call; BKG-7, FBK-2: a pregnancy-care
        # request or a complaint taken over the phone for the caller.
        Action.CLOSURE_FOLLOW_UP: _ANY,
        Action.PREGNANCY_REQUEST_FILE: Grant(Scope.ANY, (Channel.CALL_CENTRE,)),
        Action.PREGNANCY_REQUEST_VIEW: _ANY,
        Action.COMPLAINT_FILE: Grant(Scope.ANY, (Channel.CALL_CENTRE,)),
        Action.COMPLAINT_VIEW: _ANY,
        Action.PACKAGE_VIEW: _ANY,
    },
    Role.RECEPTIONIST: {
        Action.CONSOLE_OPEN: _FACILITY,
        # Any patient may walk up to the desk: found and opened, but their visits elsewhere stay hidden.
        Action.PATIENT_FIND: _ANY,
        Action.PATIENT_VIEW: _ANY,
        Action.APPOINTMENT_VIEW: _FACILITY,
        Action.APPOINTMENT_BOOK: Grant(Scope.FACILITY, (Channel.RECEPTION,)),
        Action.APPOINTMENT_CANCEL: Grant(Scope.FACILITY, (Channel.RECEPTION,)),
        Action.SLOT_SEARCH: _FACILITY,
        Action.IDENTITY_CONFIRM_IN_PERSON: _ANY,
        Action.PASSWORD_RESET: Grant(Scope.ANY, (Channel.RECEPTION,)),
        Action.DAY_LIST_VIEW: _FACILITY,
        Action.ARRIVAL_RECORD: _FACILITY,
        # CHK-2, issue 14: a wrong check-in at this desk, undone within minutes (recorded) — the desk alone.
        Action.CHECK_IN_UNDO: _FACILITY,
        Action.ENTRANCE_SCREEN: _FACILITY,
        Action.NO_SHOW_VIEW: _FACILITY,
        Action.NO_SHOW_LIFT: _ANY,
        Action.ECARD_VERIFY: _ANY,
        # CLN-2: a renewal ordered at the desk for the patient standing there.
        Action.RENEWAL_REQUEST: Grant(Scope.ANY, (Channel.RECEPTION,)),
        # CLN-3: an authorisation to collect results is recorded at a centre and checked at its desk, where the
        # results are handed over to the patient or the person they authorised.
        Action.COLLECTION_AUTHORISATION_VIEW: _ANY,
        Action.COLLECTION_AUTHORISATION_RECORD: _ANY,
        Action.COLLECTION_AUTHORISATION_REVOKE: _ANY,
        Action.RESULT_HAND_OVER: _ANY,
    },
    Role.CLINICIAN: {
        Action.CONSOLE_OPEN: _ANY,
        # CLN-6: a clinician sees a patient only with a relationship — a visit with them.
        Action.PATIENT_VIEW: _RELATED,
        Action.APPOINTMENT_VIEW: _RELATED,
        Action.MEDICAL_RECORD_VIEW: _RELATED,
        # Their own visits: the day and call list, opening and closing a visit, recording a call (TEL-1), and the
        # documents issued during it (CLN-5); the renewal queue (CLN-2) and the questions inbox (CLN-4).
        Action.VISIT_DAY_LIST: _RELATED,
        Action.VISIT_OPEN: _RELATED,
        Action.VISIT_CLOSE: _RELATED,
        Action.CALL_RECORD: _RELATED,
        Action.DOCUMENT_ISSUE: _RELATED,
        Action.RENEWAL_DECIDE: _RELATED,
        Action.QUESTION_ANSWER: _RELATED,
        # CLN-3, CLN-6: results they ordered or of a patient they have a visit with; the patient's files (FIL-1)
        # and those attached to a visit (TEL-3) with the same relationship.
        Action.RESULT_VIEW: _RELATED,
        Action.FILE_VIEW: _RELATED,
        # TEL-2: the next patient of a line they are on duty for (the queue decides whom); their own consultations.
        Action.CONSULTATION_QUEUE_VIEW: _ANY,
        Action.CONSULTATION_TAKE: _ANY,
        Action.CONSULTATION_VIEW: _RELATED,
        Action.CONSULTATION_JOIN: _RELATED,
        Action.CONSULTATION_END: _RELATED,
        # BKG-7: the clinician leading a pregnancy records where it is led.
        Action.PREGNANCY_CARE_RECORD: _RELATED,
    },
    Role.COORDINATOR: {
        # Coordinators run the network (facilities, schedules, closures) in the back office and their console; no
        # medical data — the pregnancy-care requests and complaints they resolve name the person and the phone.
        Action.CONSOLE_OPEN: _ANY,
        Action.BACK_OFFICE: _ANY,
        # TEL-2: the on-demand duties, and how long the queues are.
        Action.DUTY_MANAGE: _ANY,
        Action.CONSULTATION_QUEUE_VIEW: _ANY,
        # Issue 15: closures (NET-3), pregnancy care (BKG-7), feedback, complaints and claims (FBK-1..3), the
        # dashboard (BEY-4), the rosters of every contract (PKG-8).
        Action.CLOSURE_MANAGE: _ANY,
        Action.CLOSURE_FOLLOW_UP: _ANY,
        Action.PREGNANCY_CARE_RECORD: _ANY,
        Action.PREGNANCY_REQUEST_VIEW: _ANY,
        # BKG-7: resolving a request with a visit books it through the call-centre channel under this grant (not a
        # general APPOINTMENT_BOOK: coordinators book nothing else).
        Action.PREGNANCY_REQUEST_RESOLVE: Grant(Scope.ANY, (Channel.CALL_CENTRE,)),
        Action.FEEDBACK_VIEW: _ANY,
        Action.COMPLAINT_VIEW: _ANY,
        Action.COMPLAINT_HANDLE: _ANY,
        Action.CLAIM_VIEW: _ANY,
        Action.CLAIM_DECIDE: _ANY,
        Action.DASHBOARD_VIEW: _ANY,
        Action.ROSTER_VIEW: _ANY,
    },
    Role.PARTNER_STAFF: {
        Action.CONSOLE_OPEN: _FACILITY,
        Action.ECARD_VERIFY: _ANY,
    },
    Role.EMPLOYER_CONTACT: {
        # PKG-3, PKG-8: the roster of their own contract and the package scope their people have; nothing medical.
        Action.CONSOLE_OPEN: _CONTRACT,
        Action.ROSTER_VIEW: _CONTRACT,
        Action.ROSTER_UPLOAD: _CONTRACT,
    },
    Role.ADMIN: {
        Action.CONSOLE_OPEN: _ANY,
        Action.PATIENT_FIND: _ANY,
        Action.PATIENT_VIEW: _ANY,
        Action.APPOINTMENT_VIEW: _ANY,
        Action.APPOINTMENT_BOOK: Grant(Scope.ANY, _ADMIN_CHANNELS),
        Action.APPOINTMENT_CANCEL: Grant(Scope.ANY, _ADMIN_CHANNELS),
        Action.SLOT_SEARCH: _ANY,
        Action.IDENTITY_CONFIRM_PHONE: _ANY,
        Action.IDENTITY_CONFIRM_IN_PERSON: _ANY,
        Action.IDENTITY_REQUEST_REVIEW: _ANY,
        Action.PASSWORD_RESET: Grant(Scope.ANY, (Channel.CALL_CENTRE,)),
        Action.DAY_LIST_VIEW: _ANY,
        Action.ARRIVAL_RECORD: _ANY,
        Action.ENTRANCE_SCREEN: _ANY,
        Action.NO_SHOW_VIEW: _ANY,
        Action.NO_SHOW_LIFT: _ANY,
        Action.ECARD_VERIFY: _ANY,
        Action.BACK_OFFICE: _ANY,
        Action.READ_RECORD_AUDIT: _ANY,
        Action.RENEWAL_REQUEST: Grant(Scope.ANY, (Channel.CALL_CENTRE,)),
        # CLN-1: extend, in one step, every referral issued in a date window (as in 2020).
        Action.REFERRAL_VALIDITY_EXTEND: _ANY,
        # CLN-3: the queue of laboratory messages that matched no patient or order; authorisations at any centre.
        Action.RESULT_REVIEW: _ANY,
        Action.RESULT_HAND_OVER: _ANY,
        Action.COLLECTION_AUTHORISATION_VIEW: _ANY,
        Action.COLLECTION_AUTHORISATION_RECORD: _ANY,
        Action.COLLECTION_AUTHORISATION_REVOKE: _ANY,
        Action.DUTY_MANAGE: _ANY,
        Action.CONSULTATION_QUEUE_VIEW: _ANY,
        Action.CLOSURE_MANAGE: _ANY,
        Action.CLOSURE_FOLLOW_UP: _ANY,
        Action.PREGNANCY_CARE_RECORD: _ANY,
        Action.PREGNANCY_REQUEST_FILE: Grant(Scope.ANY, (Channel.CALL_CENTRE,)),
        Action.PREGNANCY_REQUEST_VIEW: _ANY,
        Action.PREGNANCY_REQUEST_RESOLVE: Grant(Scope.ANY, (Channel.CALL_CENTRE,)),
        Action.FEEDBACK_VIEW: _ANY,
        Action.COMPLAINT_FILE: Grant(Scope.ANY, (Channel.CALL_CENTRE,)),
        Action.COMPLAINT_VIEW: _ANY,
        Action.COMPLAINT_HANDLE: _ANY,
        Action.CLAIM_VIEW: _ANY,
        Action.CLAIM_DECIDE: _ANY,
        Action.DASHBOARD_VIEW: _ANY,
        Action.PACKAGE_VIEW: _ANY,
        Action.ROSTER_VIEW: _ANY,
        Action.ROSTER_UPLOAD: _ANY,
    },
}

#: Actions that record the channel they went through (BKG-1, ACC-6).
CHANNEL_ACTIONS = frozenset(
    {
        Action.APPOINTMENT_BOOK,
        Action.APPOINTMENT_CANCEL,
        Action.PASSWORD_RESET,
        Action.RENEWAL_REQUEST,
        Action.CONSULTATION_START,
        Action.PREGNANCY_REQUEST_FILE,
        Action.PREGNANCY_REQUEST_RESOLVE,
        Action.COMPLAINT_FILE,
        Action.CLAIM_FILE,
    }
)

#: Roles that work in the consoles (everyone but patients).
STAFF_ROLES = frozenset(role for role in Role if role is not Role.PATIENT)


def role_of(*, role: str, is_superuser: bool) -> Role | None:
    """The effective role of a user: a superuser is an administrator whatever their ``role`` field says; an
    unknown value is no role at all (refused everything)."""
    if is_superuser:
        return Role.ADMIN
    try:
        return Role(role)
    except ValueError:
        return None


def grant(role: Role | None, action: Action) -> Grant | None:
    """The grant of ``role`` for ``action``, or ``None`` when the role may not do it (anonymous: never)."""
    if role is None:
        return None
    return PERMISSIONS.get(role, {}).get(action)


@dataclass(frozen=True, slots=True)
class Actor:
    """Who is acting, built once per request (``carenet.accounts.selectors.actor_for_user``) for every door.

    ``children_ids`` are the patients under 18 (on the day the actor was built) whose guardian this patient is;
    ``clinician_id`` is the clinician a clinician's login belongs to — their relationships with patients (CLN-6) are
    resolved in the database by the ``access_*`` selectors, since a family doctor may have thousands."""

    user_id: int | None = None
    role: Role | None = None
    facility_id: int | None = None
    patient_id: int | None = None
    children_ids: frozenset[int] = field(default_factory=frozenset)
    clinician_id: int | None = None
    level: int | None = None
    contract_id: int | None = None

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None and self.role is not None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_patient(self) -> bool:
        return self.role is Role.PATIENT and self.patient_id is not None

    @property
    def family_ids(self) -> frozenset[int]:
        """The patient and the children they act for (empty for staff)."""
        if self.patient_id is None:
            return frozenset()
        return self.children_ids | {self.patient_id}

    def grant(self, action: Action) -> Grant | None:
        return grant(self.role, action)

    def can(self, action: Action) -> bool:
        """Whether the actor may do ``action`` at all (for someone); :meth:`reaches` says for whom."""
        found = self.grant(action)
        if found is None:
            return False
        if found.scope is Scope.OWN:
            return self.patient_id is not None
        if found.scope is Scope.FACILITY:
            return self.facility_id is not None
        if found.scope is Scope.RELATED:
            return self.clinician_id is not None
        if found.scope is Scope.CONTRACT:
            return self.contract_id is not None
        return True

    def scope(self, action: Action) -> Scope | None:
        found = self.grant(action)
        return found.scope if found is not None and self.can(action) else None

    def reaches(
        self,
        action: Action,
        *,
        patient_id: int | None = None,
        facility_id: int | None = None,
        related: bool = False,
        contract_id: int | None = None,
    ) -> bool:
        """Whether ``action`` reaches this patient / this facility's visit / this contract's roster: ``related``
        says the clinician has a visit with the patient (the caller asks the database)."""
        scope = self.scope(action)
        if scope is None:
            return False
        if scope is Scope.ANY:
            return True
        if scope is Scope.OWN:
            return patient_id is not None and patient_id in self.family_ids
        if scope is Scope.FACILITY:
            return facility_id is not None and facility_id == self.facility_id
        if scope is Scope.CONTRACT:
            return contract_id is not None and contract_id == self.contract_id
        return related

    def channels(self, action: Action) -> tuple[Channel, ...]:
        found = self.grant(action) if self.can(action) else None
        return found.channels if found else ()

    def channel(self, action: Action, *, door: Channel | None = None) -> Channel | None:
        """The channel a booking or cancellation records: the door's own channel when the role uses it (a patient's
        app: mobile, the portal: portal), else the role's default (reception, call centre)."""
        allowed = self.channels(action)
        if not allowed:
            return None
        if door is not None and door in allowed and allowed[0] in PATIENT_DOORS:
            return door
        return allowed[0]


ANONYMOUS = Actor()


class Can:
    """The table for templates: ``{% if can.patient_find %}`` — each attribute is an :class:`Action` name in lower
    case. Unknown names raise, so a misspelt check fails loudly instead of hiding a button."""

    __slots__ = ("_actor",)

    def __init__(self, actor: Actor) -> None:
        self._actor = actor

    def __getattr__(self, name: str) -> bool:
        try:
            action = Action[name.upper()]
        except KeyError:
            raise AttributeError(name) from None
        return self._actor.can(action)

    def __getitem__(self, name: str) -> bool:
        return bool(self.__getattr__(name))


def roles_granted(action: Action) -> frozenset[Role]:
    """Every role the table grants ``action`` (for documentation and the authorization matrix)."""
    return frozenset(role for role, actions in PERMISSIONS.items() if action in actions)


def check_table(roles: Iterable[Role] = tuple(Role)) -> list[str]:
    """Inconsistencies in the table (tested): book/cancel grants without a channel; SMS anywhere but a patient's own
    cancellation (an SMS is the patient's reply, CXL-2: nobody books by SMS, and staff never act through it)."""
    problems = []
    for role in roles:
        for action, given in PERMISSIONS.get(role, {}).items():
            if action in CHANNEL_ACTIONS and not given.channels:
                problems.append(f"{role}:{action} has no channel")
            if Channel.SMS in given.channels and (role, action) != (Role.PATIENT, Action.APPOINTMENT_CANCEL):
                problems.append(f"{role}:{action} acts through SMS")
    return problems

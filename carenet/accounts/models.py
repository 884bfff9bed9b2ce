"""People and roles: staff and patient users, patients (PESEL), account levels I/II and identity confirmations."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models
from django.db.models import F, Q
from django.dispatch import Signal
from django.utils.translation import gettext_lazy as _

from carenet.core.audit import audit

#: ACC-6: sent by the accounts services inside the transaction that changes (or resets) a user's password, with
#: ``user`` and ``now``. Credentials other apps derive from a login — the API's bearer tokens — are revoked by
#: those apps' receivers (``carenet.api.models``), so accounts imports none of them.
password_changed = Signal()


class UserManager(DjangoUserManager["User"]):
    def create_superuser(
        self, username: str, email: str | None = None, password: str | None = None, **extra_fields: Any
    ) -> User:
        """``createsuperuser`` makes an administrator, not a patient with superuser rights (a superuser counts as an
        administrator everywhere anyway: ``accounts.permissions.role_of``)."""
        extra_fields.setdefault("role", User.Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A person who logs in. Patients log in too; their medical identity lives in :class:`Patient`."""

    objects = UserManager()  # type: ignore[misc]

    class Role(models.TextChoices):
        PATIENT = "patient", _("patient")
        CALL_CENTRE = "call_centre", _("call-centre operator")
        RECEPTIONIST = "receptionist", _("receptionist")
        CLINICIAN = "clinician", _("clinician")
        COORDINATOR = "coordinator", _("network coordinator")
        ADMIN = "admin", _("administrator")
        PARTNER_STAFF = "partner_staff", _("partner facility staff")
        EMPLOYER_CONTACT = "employer_contact", _("employer or insurer contact")

    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.PATIENT)
    # The facility whose reception desk a receptionist works at; for partner-facility staff, their partner facility.
    facility = models.ForeignKey(
        "network.Facility",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("facility"),
    )
    # PKG-8: the contract (an employer's or insurer's programme) whose roster an employer or insurer contact keeps.
    contract = models.ForeignKey(
        "coverage.Contract",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="contacts",
        verbose_name=_("contract"),
    )
    must_change_password = models.BooleanField(_("must change password at next login"), default=False)

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        constraints = [
            models.CheckConstraint(
                condition=~Q(role="receptionist") | Q(facility__isnull=False),
                name="receptionist_has_facility",
                violation_error_message=_("A receptionist works at a facility."),
            ),
            models.CheckConstraint(
                condition=~Q(role="partner_staff") | Q(facility__isnull=False),
                name="partner_staff_has_facility",
                violation_error_message=_("Partner-facility staff work at their partner facility."),
            ),
        ]


class Patient(models.Model):
    """A person who receives care. A child may have no login of its own; a guardian acts for them."""

    class Sex(models.TextChoices):
        FEMALE = "F", _("female")
        MALE = "M", _("male")

    class Level(models.IntegerChoices):
        BASIC = 1, _("level I (basic)")
        FULL = 2, _("level II (full)")

    user = models.OneToOneField(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="patient", verbose_name=_("user")
    )
    first_name = models.CharField(_("first name"), max_length=60)
    last_name = models.CharField(_("last name"), max_length=80)
    pesel = models.CharField(_("PESEL"), max_length=11, unique=True)
    birth_date = models.DateField(_("birth date"))
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    mobile = models.CharField(_("mobile phone"), max_length=16, blank=True, db_index=True)
    email = models.EmailField(_("e-mail"), blank=True)
    # ACC-8: the postal address the patient keeps on "Twoje dane" (all three or none).
    street = models.CharField(_("street and number"), max_length=120, blank=True)
    postcode = models.CharField(_("postcode"), max_length=6, blank=True)
    city = models.CharField(_("city"), max_length=60, blank=True)
    guardian = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="children", verbose_name=_("guardian")
    )
    account_level = models.PositiveSmallIntegerField(_("account level"), choices=Level.choices, default=Level.BASIC)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name = _("patient")
        verbose_name_plural = _("patients")
        indexes = [models.Index(fields=["last_name", "first_name"])]
        constraints = [
            models.CheckConstraint(condition=Q(account_level__in=[1, 2]), name="patient_level_is_i_or_ii"),
            models.CheckConstraint(condition=~Q(guardian=models.F("id")), name="patient_not_own_guardian"),
            # ACC-8: the SMS door finds a patient by their phone, so one mobile number belongs to one patient (a
            # child without a number of their own is reached through the guardian's).
            models.UniqueConstraint(fields=["mobile"], condition=~Q(mobile=""), name="patient_mobile_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def contact_mobile(self) -> str | None:
        """Where this patient's SMS go and whom a phone consultation calls: their own mobile, or the guardian's for a
        child without one; ``None`` when there is neither."""
        if self.mobile:
            return self.mobile
        guardian = self.guardian if self.guardian_id else None
        return guardian.mobile if guardian is not None and guardian.mobile else None


class IdentityConfirmation(models.Model):
    """ACC-5: who confirmed a patient's identity (level I → II), how and when."""

    class Method(models.TextChoices):
        BANK = "bank", _("online through a bank")
        CALL_CENTRE = "call_centre", _("by a call-centre operator")
        CONTACT_FORM = "contact_form", _("through the contact form")
        IN_PERSON = "in_person", _("in person at reception")

    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="identity_confirmations", verbose_name=_("patient")
    )
    method = models.CharField(_("method"), max_length=20, choices=Method.choices)
    confirmed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("confirmed by")
    )
    confirmed_at = models.DateTimeField(_("confirmed at"))
    document = models.CharField(_("identity document"), max_length=60, blank=True)
    terms_signed = models.BooleanField(_("portal terms signed"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["-confirmed_at"]
        verbose_name = _("identity confirmation")
        verbose_name_plural = _("identity confirmations")

    def __str__(self) -> str:
        return f"{self.patient}: {self.get_method_display()} {self.confirmed_at:%Y-%m-%d}"


class FirstPassword(models.Model):
    """ACC-2: a first-login password sent by SMS. Only its hash is kept; it works once, for ten minutes."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="first_passwords", verbose_name=_("user"))
    # The number the SMS went to: the hourly limit counts per phone, whatever account it belongs to.
    mobile = models.CharField(_("mobile phone"), max_length=16, db_index=True)
    password_hash = models.CharField(_("password hash"), max_length=128)
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("first password")
        verbose_name_plural = _("first passwords")
        indexes = [models.Index(fields=["mobile", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(created_at__lte=F("expires_at")), name="first_password_expires_after_creation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.created_at:%Y-%m-%d %H:%M}"


class IdentityRequest(models.Model):
    """ACC-5: a level I patient's request, through the contact form, to have their identity confirmed by staff.

    The call centre reviews the queue: approving confirms the identity (method "contact form"), rejecting gives a
    reason the patient sees. A patient has at most one open request."""

    class Status(models.TextChoices):
        OPEN = "open", _("waiting for review")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="identity_requests", verbose_name=_("patient")
    )
    message = models.TextField(_("message"), max_length=1000)
    phone_time = models.CharField(_("when to call"), max_length=100, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(_("sent at"))
    reviewed_by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("reviewed by")
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("identity confirmation request")
        verbose_name_plural = _("identity confirmation requests")
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [
            models.UniqueConstraint(
                fields=["patient"], condition=Q(status="open"), name="identity_request_one_open_per_patient"
            ),
            models.CheckConstraint(
                condition=Q(status="open") | Q(reviewed_at__isnull=False), name="identity_request_reviewed_when_closed"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.patient}: {self.get_status_display()} {self.created_at:%Y-%m-%d}"


class PasswordReset(models.Model):
    """ACC-6: a password reset by the call centre or a reception desk — a new SMS first password — who, how, when."""

    class Channel(models.TextChoices):
        CALL_CENTRE = "call_centre", _("call centre")
        RECEPTION = "reception", _("reception desk")

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="password_resets", verbose_name=_("user"))
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="password_resets", verbose_name=_("patient")
    )
    reset_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("reset by"))
    reset_at = models.DateTimeField(_("reset at"))
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    two_factor_removed = models.BooleanField(_("two-step login turned off"), default=False)

    class Meta:
        ordering = ["-reset_at"]
        verbose_name = _("password reset")
        verbose_name_plural = _("password resets")

    def __str__(self) -> str:
        return f"{self.patient}: {self.get_channel_display()} {self.reset_at:%Y-%m-%d %H:%M}"


class PatientRead(models.Model):
    """CLN-6, issue 10: one read of a patient's data — who read it (their login, the role they acted in and their
    facility, copied at the time of the read), whose data, what was read, when and through which door.

    Append-only: rows are written by ``carenet.accounts.reads.patient_reads_record`` and only ever deleted by the
    retention purge (``CARENET_READ_RECORD_KEEP_DAYS``); the back office shows them read-only. The patient sees the
    reads of their data (and of their children's) on "Kto oglądał moje dane"."""

    class What(models.TextChoices):
        PATIENT_SEARCH = "patient_search", _("appeared in a patient search")
        PATIENT_PAGE = "patient_page", _("patient page")
        VISIT_LIST = "visit_list", _("list of visits")
        VISIT = "visit", _("a visit")
        NO_SHOWS = "no_shows", _("missed visits and blocks")
        ECARD_CHECK = "ecard_check", _("E-Karta check")
        API_LIST = "api_list", _("list in the API")
        API_DETAIL = "api_detail", _("details in the API")
        IDENTITY = "identity", _("identity confirmation")
        MEDICAL_RECORD = "medical_record", _("medical record")
        # The clinician's side and the clinical documents (issue 11).
        DAY_LIST = "day_list", _("clinician's day list")
        REFERRALS = "referrals", _("referrals")
        PRESCRIPTIONS = "prescriptions", _("e-prescriptions")
        SICK_LEAVE = "sick_leave", _("sick leave")
        RECOMMENDATIONS = "recommendations", _("recommendations")
        RENEWALS = "renewals", _("prescription renewal requests")
        QUESTIONS = "questions", _("questions to the doctor")
        # Results, the authorisations to collect them, and the patient's files (issue 12).
        RESULTS = "results", _("results")
        COLLECTION_AUTHORISATIONS = "collection_auth", _("authorisations to collect results")
        FILES = "files", _("patient's files")
        # Online consultations: the room, its chat transcript (issue 13).
        CONSULTATIONS = "consultations", _("online consultations")

    class Door(models.TextChoices):
        PORTAL = "portal", _("patient portal")
        STAFF = "staff", _("staff console")
        API = "api", _("API (mobile app)")
        SMS = "sms", _("SMS")
        BACK_OFFICE = "back_office", _("back office")

    # PROTECT: a login that read patient data is deactivated, not deleted, while the record of its reads is kept.
    # The composite indexes below start with these columns, so the foreign keys need no index of their own.
    reader = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="+", db_index=False, verbose_name=_("read by")
    )
    role = models.CharField(_("role"), max_length=20, choices=User.Role.choices)
    facility = models.ForeignKey(
        "network.Facility",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("facility"),
    )
    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="+", db_index=False, verbose_name=_("patient")
    )
    what = models.CharField(_("what was read"), max_length=20, choices=What.choices)
    reference = models.CharField(_("reference"), max_length=40, blank=True)
    at = models.DateTimeField(_("read at"))
    door = models.CharField(_("door"), max_length=20, choices=Door.choices)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("read of patient data")
        verbose_name_plural = _("reads of patient data")
        indexes = [
            # The patient's "who viewed my data", latest first.
            models.Index(fields=["patient", "-at"], name="patient_read_patient_at"),
            # The retention purge and the back office's date list.
            models.Index(fields=["at"], name="patient_read_at"),
            # The back office: one reader's reads, and the filters by role, what and door, latest first.
            models.Index(fields=["reader", "-at"], name="patient_read_reader_at"),
            models.Index(fields=["role", "-at"], name="patient_read_role_at"),
            models.Index(fields=["what", "-at"], name="patient_read_what_at"),
            models.Index(fields=["door", "-at"], name="patient_read_door_at"),
        ]

    def __str__(self) -> str:
        return f"{self.get_what_display()} {self.at:%Y-%m-%d %H:%M}"


class LoginThrottle(models.Model):
    """Failed logins of one login from any address (carenet.accounts.throttle): the per-account progressive delay.

    Keyed on a keyed hash of the login as typed, so a login that does not exist is throttled the same way and no
    typed-in login is stored."""

    login_hash = models.CharField(_("login (hash)"), max_length=64, unique=True)
    failures = models.PositiveIntegerField(_("failures"), default=0)
    last_failure_at = models.DateTimeField(_("last failure at"))

    class Meta:
        verbose_name = _("login throttle")
        verbose_name_plural = _("login throttles")

    def __str__(self) -> str:
        return f"{self.failures} @ {self.last_failure_at:%Y-%m-%d %H:%M}"


class LoginKnownAddress(models.Model):
    """An address a login recently succeeded from: the per-account delay does not apply there, so an attacker
    elsewhere cannot keep the patient out (the per-address lockout still does)."""

    key_hash = models.CharField(_("login and address (hash)"), max_length=64, unique=True)
    last_success_at = models.DateTimeField(_("last success at"), db_index=True)

    class Meta:
        verbose_name = _("known login address")
        verbose_name_plural = _("known login addresses")

    def __str__(self) -> str:
        return f"{self.key_hash[:8]} @ {self.last_success_at:%Y-%m-%d %H:%M}"


class ConsentKind(models.TextChoices):
    """ACC-8: what a patient agrees to receive ("Twoje zgody")."""

    SMS_NOTICES = "sms_notices", _("SMS notices (reminders, check-in questions, survey invitations)")
    EMAIL_NOTICES = "email_notices", _("e-mail notices")
    MARKETING = "marketing", _("marketing information")


class ChangeChannel(models.TextChoices):
    """ACC-8: the door a contact-data or consent change came through."""

    PORTAL = "portal", _("patient portal")
    API = "api", _("API (mobile app)")
    CALL_CENTRE = "call_centre", _("call centre")
    BACK_OFFICE = "back_office", _("back office")
    DEMO = "demo", _("demo data")


class Consent(models.Model):
    """ACC-8: one decision about a consent — given or withdrawn — who made it, when and through which door.

    Append-only history; the row with ``current`` set is the state in force (at most one per patient and kind, so the
    state is one indexed read). No row: the default of :data:`carenet.accounts.policies.CONSENT_DEFAULTS`."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="consents", verbose_name=_("patient"))
    kind = models.CharField(_("consent"), max_length=20, choices=ConsentKind.choices)
    granted = models.BooleanField(_("given"))
    at = models.DateTimeField(_("when"))
    by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("changed by")
    )
    channel = models.CharField(_("channel"), max_length=20, choices=ChangeChannel.choices)
    current = models.BooleanField(_("in force"), default=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("consent decision")
        verbose_name_plural = _("consent decisions")
        indexes = [models.Index(fields=["patient", "-at"], name="consent_patient_at")]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "kind"], condition=Q(current=True), name="consent_one_current_per_kind"
            )
        ]

    def __str__(self) -> str:
        return f"{self.patient}: {self.kind}={self.granted} {self.at:%Y-%m-%d}"


class ContactChange(models.Model):
    """ACC-8: one change of a patient's contact data — which field, the old and new value (masked), who, when and
    through which door. Append-only; the patient sees them under "Historia zmian", staff in the back office."""

    class Field(models.TextChoices):
        MOBILE = "mobile", _("mobile phone")
        EMAIL = "email", _("e-mail")
        ADDRESS = "address", _("postal address")

    patient = models.ForeignKey(
        Patient, on_delete=models.PROTECT, related_name="contact_changes", verbose_name=_("patient")
    )
    field = models.CharField(_("what changed"), max_length=10, choices=Field.choices)
    old_value = models.CharField(_("before (masked)"), max_length=200, blank=True)
    new_value = models.CharField(_("after (masked)"), max_length=200, blank=True)
    at = models.DateTimeField(_("when"))
    by = models.ForeignKey(
        User, on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("changed by")
    )
    channel = models.CharField(_("channel"), max_length=20, choices=ChangeChannel.choices)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("contact data change")
        verbose_name_plural = _("contact data changes")
        indexes = [models.Index(fields=["patient", "-at"], name="contact_change_patient_at")]

    def __str__(self) -> str:
        return f"{self.patient}: {self.field} {self.at:%Y-%m-%d %H:%M}"


class PhoneChange(models.Model):
    """ACC-8: a change of the mobile number waiting for the code sent by SMS to the new number. Only the code's
    keyed hash is kept; it works for a few minutes and a few attempts. Until it is confirmed the old number stays in
    use for every SMS."""

    patient = models.ForeignKey(
        Patient, on_delete=models.CASCADE, related_name="phone_changes", verbose_name=_("patient")
    )
    new_mobile = models.CharField(_("new mobile phone"), max_length=16, db_index=True)
    code_hash = models.CharField(_("code (hash)"), max_length=64)
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    attempts = models.PositiveSmallIntegerField(_("wrong attempts"), default=0)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    channel = models.CharField(_("channel"), max_length=20, choices=ChangeChannel.choices)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("phone change")
        verbose_name_plural = _("phone changes")
        indexes = [models.Index(fields=["patient", "-created_at"], name="phone_change_patient_at")]
        constraints = [
            models.CheckConstraint(
                condition=Q(created_at__lte=F("expires_at")), name="phone_change_expires_after_creation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.patient} {self.created_at:%Y-%m-%d %H:%M}"


# The back office's changes to these records are kept with who made them (django-auditlog).
audit(Patient)
audit(IdentityConfirmation)
audit(IdentityRequest)
audit(PasswordReset)

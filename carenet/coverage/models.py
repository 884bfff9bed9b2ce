"""Packages, contracts and entitlement (PKG-1..3, PKG-6).

The coverage matrix of the five tiers is data: a :class:`Benefit` is one row of the programme's table (its wording,
the tiers that tick it), and its :class:`BenefitItem` rows say exactly what it covers and how (covered, an annual
limit, once a year without referral, a discount). It is loaded from ``coverage/data/matrix.yaml`` and editable in
the back office.
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from carenet.core.audit import audit


class Tier(models.Model):
    """One of the five package tiers: Podstawowy, Standardowy, Rozszerzony, Kompleksowy, Premium."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=60)
    name_en = models.CharField(_("name (English)"), max_length=60, blank=True, db_default="")
    rank = models.PositiveSmallIntegerField(_("rank"), unique=True)

    class Meta:
        ordering = ["rank"]
        verbose_name = _("package tier")
        verbose_name_plural = _("package tiers")

    def __str__(self) -> str:
        return self.name


#: The one row of :class:`MatrixVersion`.
MATRIX_VERSION_ROW = 1


class MatrixVersion(models.Model):
    """PERF (issue 16): one row whose token changes with every change of the coverage matrix (tiers, benefits, their
    items, the catalogue they name). Every process keeps the matrix it read under the token it read it with and
    reads only the token per request (:func:`carenet.coverage.selectors.matrix_version`), so a change made by the
    loader, the back office or any other process is seen by the next request everywhere."""

    token = models.BigIntegerField(_("token"), default=0)
    changed_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("coverage matrix version")
        verbose_name_plural = _("coverage matrix versions")

    def __str__(self) -> str:
        return str(self.token)


class Rule(models.TextChoices):
    COVERED = "covered", _("covered")
    ANNUAL_LIMIT = "annual_limit", _("covered within an annual limit")
    ONCE_A_YEAR = "once_a_year", _("covered once a year")
    DISCOUNT = "discount", _("discounted")


class Benefit(models.Model):
    """One row of the programme's coverage table, with the tiers that include it."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    group = models.SlugField(_("group"), max_length=40)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("scope as worded in the programme"))
    scope_count = models.PositiveIntegerField(_("number of services in scope"), null=True, blank=True)
    tiers = models.ManyToManyField(Tier, related_name="benefits", verbose_name=_("tiers"))
    position = models.PositiveSmallIntegerField(_("position in the table"), default=0)

    class Meta:
        ordering = ["position", "code"]
        verbose_name = _("benefit")
        verbose_name_plural = _("benefits")

    def __str__(self) -> str:
        return self.title


class BenefitItem(models.Model):
    """What a benefit covers: a service, a specialty's consultations, or every other service (a general discount)."""

    benefit = models.ForeignKey(Benefit, on_delete=models.CASCADE, related_name="items", verbose_name=_("benefit"))
    service = models.ForeignKey(
        "network.Service",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="benefit_items",
        verbose_name=_("service"),
    )
    specialty = models.ForeignKey(
        "network.Specialty",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="benefit_items",
        verbose_name=_("specialty"),
    )
    other_services = models.BooleanField(_("applies to every other service"), default=False)
    min_age = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(_("maximum age (exclusive)"), null=True, blank=True)
    rule = models.CharField(_("rule"), max_length=20, choices=Rule.choices, default=Rule.COVERED)
    annual_limit = models.PositiveSmallIntegerField(_("annual limit"), null=True, blank=True)
    limit_pool = models.SlugField(
        _("limit pool"), max_length=60, blank=True, help_text=_("Items sharing a pool share one annual limit.")
    )
    discount_percent = models.PositiveSmallIntegerField(_("discount (%)"), null=True, blank=True)
    without_referral = models.BooleanField(_("without referral"), default=False)

    class Meta:
        verbose_name = _("benefit item")
        verbose_name_plural = _("benefit items")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(service__isnull=False, specialty__isnull=True, other_services=False)
                    | Q(service__isnull=True, specialty__isnull=False, other_services=False)
                    | Q(service__isnull=True, specialty__isnull=True, other_services=True)
                ),
                name="benefit_item_names_one_target",
                violation_error_message=_("An item covers exactly one service, one specialty or all other services."),
            ),
            models.CheckConstraint(
                condition=~Q(rule="annual_limit") | (Q(annual_limit__gt=0) & ~Q(limit_pool="")),
                name="annual_limit_has_count_and_pool",
                violation_error_message=_("An annual limit needs a count and a pool."),
            ),
            models.CheckConstraint(
                condition=~Q(rule="discount") | Q(discount_percent__gt=0, discount_percent__lte=100),
                name="discount_has_percent",
                violation_error_message=_("A discount needs a percentage between 1 and 100."),
            ),
            models.CheckConstraint(
                condition=Q(min_age__isnull=True) | Q(max_age__isnull=True) | Q(min_age__lt=F("max_age")),
                name="benefit_item_age_band_ordered",
            ),
        ]

    def __str__(self) -> str:
        target = self.service or self.specialty or _("other services")
        return f"{self.benefit.code}: {target} ({self.get_rule_display()})"


class Contract(models.Model):
    """PKG-2: an employer's or insurer's programme: the tiers it offers and the partner facilities it allows."""

    class Kind(models.TextChoices):
        EMPLOYER = "employer", _("employer")
        INSURER = "insurer", _("insurer")
        INDIVIDUAL = "individual", _("individual")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    client_name = models.CharField(_("client"), max_length=200)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"), null=True, blank=True)
    tiers = models.ManyToManyField(Tier, related_name="contracts", verbose_name=_("tiers offered"))
    partner_facilities = models.ManyToManyField(
        "network.Facility",
        related_name="contracts",
        blank=True,
        limit_choices_to={"kind": "partner"},
        verbose_name=_("partner facilities allowed"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("contract")
        verbose_name_plural = _("contracts")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_on__isnull=True) | Q(starts_on__lte=F("ends_on")),
                name="contract_ends_after_start",
                violation_error_message=_("A contract cannot end before it starts."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class RosterEntry(models.Model):
    """A person the employer or insurer ordered a package for (the roster registration is matched against)."""

    contract = models.ForeignKey(Contract, on_delete=models.CASCADE, related_name="roster", verbose_name=_("contract"))
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="+", verbose_name=_("tier"))
    first_name = models.CharField(_("first name"), max_length=60)
    last_name = models.CharField(_("last name"), max_length=80)
    pesel = models.CharField(_("PESEL"), max_length=11)
    mobile = models.CharField(_("mobile phone"), max_length=16, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    holder_pesel = models.CharField(
        _("PESEL of the main member"), max_length=11, blank=True, help_text=_("For family members.")
    )
    activation_date = models.DateField(_("activation date"))
    paid_through = models.DateField(_("paid through"))
    # PKG-8: the day a full upload of the roster no longer named the person; they stay entitled through their last
    # paid day and the row is kept (history is never deleted). Cleared when a later upload names them again.
    left_on = models.DateField(_("left the roster on"), null=True, blank=True)

    class Meta:
        verbose_name = _("roster entry")
        verbose_name_plural = _("roster")
        constraints = [
            models.UniqueConstraint(fields=["contract", "pesel"], name="one_roster_entry_per_person_and_contract"),
            models.CheckConstraint(
                condition=Q(activation_date__lte=F("paid_through")), name="roster_paid_through_after_activation"
            ),
        ]
        indexes = [models.Index(fields=["pesel"])]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name} ({self.contract.code})"


class Enrolment(models.Model):
    """PKG-3: a patient's package under a contract: bookable from activation, entitled through the last paid day."""

    patient = models.ForeignKey(
        "accounts.Patient", on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("patient")
    )
    contract = models.ForeignKey(
        Contract, on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("contract")
    )
    tier = models.ForeignKey(Tier, on_delete=models.PROTECT, related_name="enrolments", verbose_name=_("tier"))
    roster_entry = models.OneToOneField(
        RosterEntry,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="enrolment",
        verbose_name=_("roster entry"),
    )
    activated_on = models.DateField(_("activation date"))
    paid_through = models.DateField(_("paid through"))
    ecard_number = models.CharField(_("E-Karta number"), max_length=16, unique=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-activated_on"]
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [
            models.CheckConstraint(
                condition=Q(activated_on__lte=F("paid_through")),
                name="enrolment_paid_through_after_activation",
                violation_error_message=_("The paid-through date cannot precede the activation date."),
            ),
        ]
        indexes = [models.Index(fields=["patient", "paid_through"])]

    def __str__(self) -> str:
        return f"{self.patient} – {self.tier} ({self.contract.code})"


class RosterUpload(models.Model):
    """PKG-8: a roster file an employer's or insurer's contact uploaded: checked (the preview), then applied once.

    The file's text is kept, so the report can be shown again and what was applied stays on record."""

    class Mode(models.TextChoices):
        FULL = "full", _("the whole roster (people not in the file leave it)")
        CHANGES = "changes", _("additions and changes only")

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="uploads", verbose_name=_("contract"))
    uploaded_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    file_name = models.CharField(_("file name"), max_length=200, blank=True)
    content = models.TextField(_("content"))
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices, default=Mode.CHANGES)
    uploaded_at = models.DateTimeField(_("uploaded at"))
    lines_total = models.PositiveIntegerField(_("lines"), default=0)
    lines_invalid = models.PositiveIntegerField(_("invalid lines"), default=0)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)
    added = models.PositiveIntegerField(_("added"), default=0)
    changed = models.PositiveIntegerField(_("changed"), default=0)
    left = models.PositiveIntegerField(_("left"), default=0)
    enrolled = models.PositiveIntegerField(_("new enrolments"), default=0)

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        verbose_name = _("roster upload")
        verbose_name_plural = _("roster uploads")

    def __str__(self) -> str:
        return f"{self.contract.code} {self.uploaded_at:%Y-%m-%d %H:%M}"


# The back office's changes to these records are kept with who made them (django-auditlog).
audit(Contract)
audit(RosterEntry)
audit(Enrolment)
audit(Benefit)
audit(BenefitItem)

"""The network (NET-1, NET-4): cities, facilities (own brands and partners), rooms, closures, specialties, the
service catalogue with facility price lists, and clinicians."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from carenet.core.audit import audit


class City(models.Model):
    name = models.CharField(_("name"), max_length=80, unique=True)
    voivodeship = models.CharField(_("voivodeship"), max_length=40, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("city")
        verbose_name_plural = _("cities")

    def __str__(self) -> str:
        return self.name


class Facility(models.Model):
    class Kind(models.TextChoices):
        OWN = "own", _("own medical centre")
        PARTNER = "partner", _("partner facility")

    class Brand(models.TextChoices):
        CENTRE = "centre", _("CareNet Medical Centre")
        FAMILY = "family", _("CareNet Family Medicine")
        PARTNER = "partner", _("partner")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    brand = models.CharField(_("brand"), max_length=10, choices=Brand.choices)
    city = models.ForeignKey(City, on_delete=models.PROTECT, related_name="facilities", verbose_name=_("city"))
    address = models.CharField(_("address"), max_length=200)
    postal_code = models.CharField(_("postal code"), max_length=6, blank=True)
    latitude = models.FloatField(_("latitude"), null=True, blank=True)
    longitude = models.FloatField(_("longitude"), null=True, blank=True)
    phone = models.CharField(_("phone"), max_length=20)
    email = models.EmailField(_("e-mail"), blank=True)
    # {"mon": [["07:00", "20:00"]], ...}; a missing day means closed that day.
    opening_hours = models.JSONField(_("opening hours"), default=dict, blank=True)
    offers_telemedicine = models.BooleanField(_("offers telemedicine"), default=False)
    scope = models.TextField(_("scope of services"), blank=True)
    scope_en = models.TextField(_("scope of services (English)"), blank=True, db_default="")
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["city__name", "name"]
        verbose_name = _("facility")
        verbose_name_plural = _("facilities")
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="own") & ~Q(brand="partner")) | (Q(kind="partner") & Q(brand="partner")),
                name="facility_brand_matches_kind",
                violation_error_message=_("Own centres carry a network brand; partner facilities the partner brand."),
            ),
        ]
        indexes = [models.Index(fields=["city", "kind"])]

    def __str__(self) -> str:
        return f"{self.name} ({self.city})"

    @property
    def is_partner(self) -> bool:
        return self.kind == self.Kind.PARTNER


class FacilityClosure(models.Model):
    """A period when a facility — or one clinician's schedule there — is closed (NET-3: security, quarantine of a
    doctor). A closure reopened early covers ``[starts_at, min(ends_at, reopened_at))``; ``ends_at`` keeps the
    planned end."""

    facility = models.ForeignKey(
        Facility, on_delete=models.CASCADE, related_name="closures", verbose_name=_("facility")
    )
    # Empty: the whole facility; set: only this clinician's slots at the facility (their remote work goes on).
    clinician = models.ForeignKey(
        "network.Clinician",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="closures",
        verbose_name=_("clinician"),
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    reason = models.CharField(_("reason"), max_length=200)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        "accounts.User", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("closed by")
    )
    reopened_at = models.DateTimeField(_("reopened at"), null=True, blank=True)
    reopened_by = models.ForeignKey(
        "accounts.User",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("reopened by"),
    )

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("facility closure")
        verbose_name_plural = _("facility closures")
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__lt=F("ends_at")),
                name="closure_starts_before_it_ends",
                violation_error_message=_("A closure must end after it starts."),
            )
        ]
        indexes = [models.Index(fields=["facility", "starts_at"], name="closure_facility_start")]

    def __str__(self) -> str:
        return f"{self.facility}: {self.starts_at:%Y-%m-%d} – {self.ends_at:%Y-%m-%d}"


class Room(models.Model):
    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="rooms", verbose_name=_("facility"))
    number = models.CharField(_("number"), max_length=10)
    name = models.CharField(_("name"), max_length=80, blank=True)

    class Meta:
        ordering = ["facility", "number"]
        verbose_name = _("room")
        verbose_name_plural = _("rooms")
        constraints = [models.UniqueConstraint(fields=["facility", "number"], name="room_number_unique_in_facility")]

    def __str__(self) -> str:
        return f"{self.facility.name}, {_('room')} {self.number}"


class Specialty(models.Model):
    """A medical specialty or profession in which a clinician consults (internal medicine, paediatrics, ...)."""

    code = models.SlugField(_("code"), max_length=60, unique=True)
    name = models.CharField(_("name (Polish)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    # SCH-2: what patients call it ("internista", "kardiolog"), searched and shown beside the catalogue name.
    patient_name = models.CharField(_("everyday name (Polish)"), max_length=120, blank=True, db_default="")
    patient_name_en = models.CharField(_("everyday name (English)"), max_length=120, blank=True, db_default="")

    class Meta:
        ordering = ["name"]
        verbose_name = _("specialty")
        verbose_name_plural = _("specialties")

    def __str__(self) -> str:
        return self.name


class Language(models.Model):
    code = models.CharField(_("code"), max_length=8, unique=True)
    name = models.CharField(_("name"), max_length=40)
    name_en = models.CharField(_("name (English)"), max_length=40, blank=True, db_default="")

    class Meta:
        ordering = ["code"]
        verbose_name = _("language")
        verbose_name_plural = _("languages")

    def __str__(self) -> str:
        return self.name


class Service(models.Model):
    """An entry of the service catalogue: what can be booked or performed."""

    class Kind(models.TextChoices):
        CONSULTATION = "consultation", _("consultation")
        LAB = "lab", _("laboratory test")
        IMAGING = "imaging", _("imaging")
        FUNCTIONAL = "functional", _("functional exam")
        PROCEDURE = "procedure", _("procedure")
        VACCINATION = "vaccination", _("vaccination")
        REHABILITATION = "rehabilitation", _("rehabilitation")
        DENTAL = "dental", _("dental care")
        HOME_VISIT = "home_visit", _("home visit")
        NURSING = "nursing", _("nursing")
        ONLINE = "online", _("online consultation")
        OTHER = "other", _("other benefit")

    code = models.SlugField(_("code"), max_length=80, unique=True)
    name = models.CharField(_("name (Polish)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    specialty = models.ForeignKey(
        Specialty, on_delete=models.PROTECT, null=True, blank=True, related_name="services", verbose_name=_("specialty")
    )
    requires_referral = models.BooleanField(_("requires a referral"), default=False)
    self_check_in = models.BooleanField(_("self check-in allowed"), default=False)
    min_age = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(
        _("maximum age (exclusive)"), null=True, blank=True, help_text=_("Patients must be younger than this.")
    )
    preparation = models.TextField(_("preparation instructions"), blank=True)
    preparation_en = models.TextField(_("preparation instructions (English)"), blank=True, db_default="")
    duration_minutes = models.PositiveSmallIntegerField(_("duration (minutes)"), default=15)
    base_price = models.DecimalField(_("base price (PLN)"), max_digits=9, decimal_places=2, default=Decimal("0"))
    is_bookable = models.BooleanField(_("bookable in a schedule"), default=True)
    # BKG-6: occupational-medicine exams are booked with the employer's referral data.
    occupational = models.BooleanField(_("occupational medicine"), default=False, db_default=False)

    class Meta:
        ordering = ["name"]
        verbose_name = _("service")
        verbose_name_plural = _("services")
        constraints = [
            models.CheckConstraint(
                condition=Q(min_age__isnull=True) | Q(max_age__isnull=True) | Q(min_age__lt=F("max_age")),
                name="service_age_band_ordered",
                violation_error_message=_("The minimum age must be below the maximum age."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class FacilityPrice(models.Model):
    """The facility's price list: what a service costs there when the package does not cover it (PKG-4)."""

    facility = models.ForeignKey(Facility, on_delete=models.CASCADE, related_name="prices", verbose_name=_("facility"))
    service = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="facility_prices", verbose_name=_("service")
    )
    price = models.DecimalField(
        _("price (PLN)"), max_digits=9, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )

    class Meta:
        verbose_name = _("facility price")
        verbose_name_plural = _("facility price list")
        constraints = [
            models.UniqueConstraint(fields=["facility", "service"], name="one_price_per_facility_service"),
            models.CheckConstraint(condition=Q(price__gte=0), name="price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.facility.name}: {self.service.name} {self.price} zł"


class Clinician(models.Model):
    class Kind(models.TextChoices):
        DOCTOR = "doctor", _("doctor")
        NURSE = "nurse", _("nurse")
        MIDWIFE = "midwife", _("midwife")
        PHYSIOTHERAPIST = "physiotherapist", _("physiotherapist")
        DIETITIAN = "dietitian", _("dietitian")
        PSYCHOLOGIST = "psychologist", _("psychologist")

    class Title(models.TextChoices):
        NONE = "", _("none")
        LEK = "lek.", _("physician (lek.)")
        DR = "dr n. med.", _("doctor of medicine")
        DR_HAB = "dr hab. n. med.", _("habilitated doctor")
        PROF = "prof. dr hab. n. med.", _("professor")

    user = models.OneToOneField(
        "accounts.User",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="clinician",
        verbose_name=_("user"),
    )
    first_name = models.CharField(_("first name"), max_length=60)
    last_name = models.CharField(_("last name"), max_length=80)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.DOCTOR)
    title = models.CharField(_("academic title"), max_length=30, choices=Title.choices, blank=True, default="")
    licence_number = models.CharField(_("licence number"), max_length=12, unique=True, null=True, blank=True)
    specialties = models.ManyToManyField(Specialty, related_name="clinicians", verbose_name=_("specialties"))
    facilities = models.ManyToManyField(Facility, related_name="clinicians", blank=True, verbose_name=_("facilities"))
    languages = models.ManyToManyField(Language, related_name="clinicians", blank=True, verbose_name=_("languages"))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["last_name", "first_name"]
        verbose_name = _("clinician")
        verbose_name_plural = _("clinicians")

    def __str__(self) -> str:
        return f"{self.title} {self.first_name} {self.last_name}".strip()

    @property
    def is_professor(self) -> bool:
        """Professor consultations (PKG-1, Premium) are those with a habilitated doctor or a professor."""
        return self.title in {self.Title.DR_HAB, self.Title.PROF}


__all__ = [
    "City",
    "Clinician",
    "Facility",
    "FacilityClosure",
    "FacilityPrice",
    "Language",
    "Room",
    "Service",
    "Specialty",
]


# The back office's changes to these records are kept with who made them (django-auditlog).
audit(Facility)
audit(FacilityClosure)
audit(FacilityPrice)
audit(Clinician)

"""Schedules and the slots they generate (SCH-1)."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Mode(models.TextChoices):
    IN_PERSON = "in_person", _("in person")
    PHONE = "phone", _("phone consultation")
    VIDEO = "video", _("video / chat")


class Schedule(models.Model):
    """A clinician's recurring working hours at a facility (or remote), producing slots of a fixed length."""

    clinician = models.ForeignKey(
        "network.Clinician", on_delete=models.PROTECT, related_name="schedules", verbose_name=_("clinician")
    )
    facility = models.ForeignKey(
        "network.Facility",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="schedules",
        verbose_name=_("facility"),
    )
    room = models.ForeignKey(
        "network.Room",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="schedules",
        verbose_name=_("room"),
    )
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices, default=Mode.IN_PERSON)
    specialty = models.ForeignKey(
        "network.Specialty", on_delete=models.PROTECT, related_name="schedules", verbose_name=_("specialty")
    )
    services = models.ManyToManyField("network.Service", related_name="schedules", verbose_name=_("services"))
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    # ISO weekdays the schedule runs on, as digits 1 (Monday) … 7 (Sunday): "12345" for Monday to Friday.
    weekdays = models.CharField(_("weekdays"), max_length=7, default="12345")
    start_time = models.TimeField(_("start time"))
    end_time = models.TimeField(_("end time"))
    slot_minutes = models.PositiveSmallIntegerField(_("slot length (minutes)"), default=15)
    skip_holidays = models.BooleanField(_("no slots on public holidays"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-valid_from"]
        verbose_name = _("schedule")
        verbose_name_plural = _("schedules")
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_from__lte=F("valid_until")),
                name="schedule_period_ordered",
                violation_error_message=_("A schedule cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=Q(start_time__lt=F("end_time")),
                name="schedule_hours_ordered",
                violation_error_message=_("Working hours must end after they start."),
            ),
            models.CheckConstraint(
                condition=Q(slot_minutes__gte=5, slot_minutes__lte=240),
                name="schedule_slot_length_sane",
                violation_error_message=_("A slot lasts between 5 and 240 minutes."),
            ),
            models.CheckConstraint(
                condition=~Q(mode="in_person") | Q(facility__isnull=False),
                name="in_person_schedule_has_facility",
                violation_error_message=_("An in-person schedule needs a facility."),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.clinician} {self.valid_from}–{self.valid_until} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


class Slot(models.Model):
    """A bookable time of one clinician. Facility, city and specialty are copied from the schedule so that a
    search reads one table with one index (SCH-2)."""

    # None for the time of an on-demand online consultation (TEL-2): made when a clinician on duty takes the next
    # patient, taken at once by the visit it becomes, never bookable.
    schedule = models.ForeignKey(
        Schedule, on_delete=models.CASCADE, null=True, blank=True, related_name="slots", verbose_name=_("schedule")
    )
    clinician = models.ForeignKey(
        "network.Clinician", on_delete=models.PROTECT, related_name="slots", verbose_name=_("clinician")
    )
    facility = models.ForeignKey(
        "network.Facility",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="slots",
        verbose_name=_("facility"),
    )
    city = models.ForeignKey(
        "network.City", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("city")
    )
    room = models.ForeignKey(
        "network.Room", on_delete=models.SET_NULL, null=True, blank=True, related_name="+", verbose_name=_("room")
    )
    specialty = models.ForeignKey(
        "network.Specialty", on_delete=models.PROTECT, related_name="+", verbose_name=_("specialty")
    )
    mode = models.CharField(_("mode"), max_length=10, choices=Mode.choices)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    # Denormalised from the appointments so a search reads one partial index; written only by the booking
    # services in the transaction that books or frees the slot. The unique constraint on appointments, not this
    # flag, is what guarantees one booking per slot (BKG-2).
    is_free = models.BooleanField(_("free"), default=True, db_default=True)

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("slot")
        verbose_name_plural = _("slots")
        constraints = [
            models.CheckConstraint(condition=Q(starts_at__lt=F("ends_at")), name="slot_starts_before_it_ends"),
            models.UniqueConstraint(fields=["clinician", "starts_at"], name="one_slot_per_clinician_and_start"),
        ]
        indexes = [
            models.Index(
                fields=["specialty", "city", "starts_at"], condition=Q(is_free=True), name="slot_free_by_city"
            ),
            models.Index(
                fields=["specialty", "mode", "starts_at"], condition=Q(is_free=True), name="slot_free_by_mode"
            ),
            models.Index(fields=["clinician", "starts_at"], condition=Q(is_free=True), name="slot_free_by_clinician"),
            # A specialty in a city also offers phone and video slots nationwide (SCH-3): ``city = x OR mode IN
            # (remote)``. Walking the specialty's free slots in page order stops after one page; without this index
            # PostgreSQL had to collect and sort every match of the week (4,500 rows, ~15 ms at 20 million slots).
            models.Index(
                fields=["specialty", "starts_at", "id"], condition=Q(is_free=True), name="slot_free_by_specialty"
            ),
            models.Index(fields=["facility", "starts_at"], name="slot_facility_day"),
            # BEY-4: the coordinators' figures of one specialty in one city over a period (utilisation, no-shows,
            # cancellations) read their slots — free or taken — by range; without it PostgreSQL read every slot of
            # the specialty in the network (B8 at 2 million slots: utilisation of one city's specialty 83 → 31 ms).
            models.Index(fields=["specialty", "city", "starts_at"], name="slot_specialty_city_start"),
            # BEY-4: the network-wide figures of today and the days ahead (live beside the daily roll-up) and the
            # roll-up of a day read that day's slots by range; without it every slot of the table was read (B8 at 2
            # million slots, network-wide utilisation of today: 160 ms sequential scan).
            models.Index(fields=["starts_at"], name="slot_start"),
        ]

    def __str__(self) -> str:
        return f"{self.clinician} {self.starts_at:%Y-%m-%d %H:%M}"

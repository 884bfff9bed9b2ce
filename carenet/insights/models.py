"""The daily roll-up of the dashboard's period figures (BEY-4, PERF): for each Warsaw day that is over, the counts
each figure sums — per specialty × city × facility (and the channel of a cancellation), and the same summed per
city and per network (:class:`DailyFigures.Grain`) — so that a network-wide period reads a few hundred rows per day
instead of every slot and booking of it, and one city's a few dozen.

Rows are written set-based by :func:`carenet.insights.services.roll_up` (delete + ``INSERT … SELECT … GROUP BY`` of
whole days in one transaction) in four families: the slots of the day (offered, booked), the visits of the day (due,
no-shows, bookings, cancelled — by the channel of the cancellation), the bookings made that day (count and total wait
in seconds, by the visit's specialty and place) and the ratings given that day. A facility's row carries one family's
counts, the others 0; the city's and the network's rows are summed from them in the same transaction (one row per
day, specialty, city and channel). :class:`RolledDay` says which days the roll-up holds: the others are computed live.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DailyFigures(models.Model):
    class Grain(models.TextChoices):
        """How finely a row is cut: one facility's, one city's (all its facilities; no city = by phone or video) or
        the whole network's (per specialty). A period's figures read the coarsest grain the filters allow."""

        FACILITY = "f", _("facility")
        CITY = "c", _("city")
        NETWORK = "n", _("network")

    grain = models.CharField(_("grain"), max_length=1, choices=Grain.choices, default=Grain.FACILITY)
    day = models.DateField(_("day"))
    specialty = models.ForeignKey(
        "network.Specialty", on_delete=models.CASCADE, related_name="+", verbose_name=_("specialty")
    )
    city = models.ForeignKey(
        "network.City", on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("city")
    )
    facility = models.ForeignKey(
        "network.Facility",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("facility"),
    )
    channel = models.CharField(_("cancelled through"), max_length=12, blank=True, default="")
    offered = models.IntegerField(default=0)
    booked = models.IntegerField(default=0)
    due = models.IntegerField(default=0)
    no_shows = models.IntegerField(default=0)
    bookings = models.IntegerField(default=0)
    cancelled = models.IntegerField(default=0)
    made = models.IntegerField(default=0)
    wait_seconds = models.FloatField(default=0.0)
    ratings = models.IntegerField(default=0)
    rating_sum = models.IntegerField(default=0)

    class Meta:
        verbose_name = _("daily figures")
        verbose_name_plural = _("daily figures")
        indexes = [
            models.Index(fields=["grain", "day"], name="daily_figures_grain_day"),
            models.Index(fields=["grain", "city", "day"], name="daily_figures_city_day"),
            models.Index(fields=["grain", "facility", "day"], name="daily_figures_facility_day"),
        ]

    def __str__(self) -> str:
        return f"{self.grain} {self.day} {self.specialty_id} {self.city_id} {self.facility_id} {self.channel}"


class RolledDay(models.Model):
    """A Warsaw day whose figures are in :class:`DailyFigures` (and when they were last rolled up)."""

    day = models.DateField(_("day"), primary_key=True)
    rolled_at = models.DateTimeField(_("rolled up at"))

    class Meta:
        verbose_name = _("rolled-up day")
        verbose_name_plural = _("rolled-up days")

    def __str__(self) -> str:
        return str(self.day)


class FirstFree(models.Model):
    """The earliest free slot of a specialty in a city (no city: by phone or video) as counted at ``counted_at``
    by the task ``roll-up-figures-today``: the dashboard's "waiting now" reads the few thousand pairs from here while
    the count is fresh instead of probing the slots of each pair on every view (BEY-4, PERF)."""

    specialty = models.ForeignKey(
        "network.Specialty", on_delete=models.CASCADE, related_name="+", verbose_name=_("specialty")
    )
    city = models.ForeignKey(
        "network.City", on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("city")
    )
    first_free = models.DateTimeField(_("first free slot"), null=True, blank=True)
    counted_at = models.DateTimeField(_("counted at"))

    class Meta:
        verbose_name = _("first free slot")
        verbose_name_plural = _("first free slots")
        indexes = [models.Index(fields=["city", "specialty"], name="first_free_place")]

    def __str__(self) -> str:
        return f"{self.specialty_id} {self.city_id} {self.first_free}"


class BookingWait(models.Model):
    """The bookings made over the whole past days of a preset period (the last 7, 30 or 90 days up to ``through_day``)
    summed per specialty × city (no city: by phone or video): the dashboard's "waiting of bookings" across the whole
    network reads these few thousand rows, plus today, instead of a row per pair and day. Rewritten with the daily
    roll-up of past days, in its transaction (BEY-4, PERF)."""

    days = models.PositiveSmallIntegerField(_("days of the period"))
    through_day = models.DateField(_("through day"))
    specialty = models.ForeignKey(
        "network.Specialty", on_delete=models.CASCADE, related_name="+", verbose_name=_("specialty")
    )
    city = models.ForeignKey(
        "network.City", on_delete=models.CASCADE, null=True, blank=True, related_name="+", verbose_name=_("city")
    )
    made = models.IntegerField(default=0)
    wait_seconds = models.FloatField(default=0.0)

    class Meta:
        verbose_name = _("waiting of bookings over a period")
        verbose_name_plural = _("waiting of bookings over periods")
        indexes = [models.Index(fields=["days", "through_day"], name="booking_wait_period")]

    def __str__(self) -> str:
        return f"{self.days} {self.through_day} {self.specialty_id} {self.city_id}"


class BookingWaitPeriod(models.Model):
    """A preset period whose :class:`BookingWait` rows are complete: every day of it was rolled up whole."""

    days = models.PositiveSmallIntegerField(_("days of the period"), primary_key=True)
    through_day = models.DateField(_("through day"))

    class Meta:
        verbose_name = _("complete period of booking waits")
        verbose_name_plural = _("complete periods of booking waits")

    def __str__(self) -> str:
        return f"{self.days} {self.through_day}"

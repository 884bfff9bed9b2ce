"""Slots booked before the free flag existed: mark every slot held by an active appointment as not free."""

from django.db import migrations

ACTIVE = ["held", "booked", "checked_in", "completed"]


def mark_taken_slots(apps, schema_editor):
    Slot = apps.get_model("scheduling", "Slot")
    Appointment = apps.get_model("booking", "Appointment")
    Slot.objects.filter(
        pk__in=Appointment.objects.filter(status__in=ACTIVE).values("slot_id"), is_free=True
    ).update(is_free=False)


class Migration(migrations.Migration):
    dependencies = [
        ("booking", "0003_sms_cancel_prompt"),
        ("scheduling", "0002_booking_holds_and_free_slots"),
    ]

    operations = [migrations.RunPython(mark_taken_slots, migrations.RunPython.noop)]

from django.contrib import admin

from carenet.accounts.admin_reads import RecordsPatientReads
from carenet.booking.models import Appointment, CheckInAttempt, NoShowBlockLift, SmsCancelPrompt


@admin.register(Appointment)
class AppointmentAdmin(RecordsPatientReads, admin.ModelAdmin):
    list_display = ["patient", "slot", "service", "status", "channel", "booked_by", "created_at"]
    list_filter = ["status", "channel"]
    search_fields = ["patient__pesel", "patient__last_name"]
    raw_id_fields = ["patient", "slot", "service", "enrolment", "booked_by", "cancelled_by", "rescheduled_from"]
    list_select_related = ["patient", "slot", "slot__clinician", "service", "booked_by"]
    readonly_fields = ["created_at", "cancelled_at"]
    show_full_result_count = False


@admin.register(SmsCancelPrompt)
class SmsCancelPromptAdmin(admin.ModelAdmin):
    list_display = ["phone", "patient", "created_at", "expires_at", "answered_at"]
    search_fields = ["phone"]
    raw_id_fields = ["patient"]
    readonly_fields = ["created_at"]


@admin.register(NoShowBlockLift)
class NoShowBlockLiftAdmin(RecordsPatientReads, admin.ModelAdmin):
    list_display = ["patient", "specialty", "lifted_by", "lifted_at", "reason"]
    raw_id_fields = ["patient", "lifted_by"]
    list_select_related = ["patient", "specialty", "lifted_by"]


@admin.register(CheckInAttempt)
class CheckInAttemptAdmin(admin.ModelAdmin):
    list_display = ["phone", "device", "at", "ok"]
    search_fields = ["phone"]

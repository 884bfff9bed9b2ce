from django.contrib import admin

from carenet.accounts.admin_reads import RecordsPatientReads
from carenet.clinical.models import Referral


@admin.register(Referral)
class ReferralAdmin(RecordsPatientReads, admin.ModelAdmin):
    list_display = ["patient", "service", "source", "issued_by", "issued_at", "valid_until", "used_by"]
    list_filter = ["source"]
    search_fields = ["patient__pesel", "patient__last_name", "employer_referral_number"]
    raw_id_fields = ["patient", "service", "issued_by", "used_by"]
    list_select_related = ["patient", "service", "issued_by"]
    date_hierarchy = "issued_at"

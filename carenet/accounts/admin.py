from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _

from carenet.accounts.forms import PatientAdminForm
from carenet.accounts.models import IdentityConfirmation, Patient, User


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "first_name", "last_name", "role", "facility", "is_active", "last_login"]
    list_filter = ["role", "is_active", "is_staff"]
    list_select_related = ["facility"]
    raw_id_fields = ["facility"]
    fieldsets = (
        *(BaseUserAdmin.fieldsets or ()),
        (_("CareNet"), {"fields": ("role", "facility", "must_change_password")}),
    )
    add_fieldsets = (
        *(BaseUserAdmin.add_fieldsets or ()),
        (_("CareNet"), {"fields": ("role", "facility")}),
    )


class IdentityConfirmationInline(admin.TabularInline):
    model = IdentityConfirmation
    extra = 0
    raw_id_fields = ["confirmed_by"]


@admin.register(Patient)
class PatientAdmin(admin.ModelAdmin):
    form = PatientAdminForm
    list_display = ["last_name", "first_name", "pesel", "birth_date", "mobile", "account_level"]
    list_filter = ["account_level", "sex"]
    search_fields = ["pesel", "last_name", "first_name", "mobile", "email"]
    readonly_fields = ["birth_date", "sex", "created_at"]
    raw_id_fields = ["user", "guardian"]
    inlines = [IdentityConfirmationInline]
    show_full_result_count = False


@admin.register(IdentityConfirmation)
class IdentityConfirmationAdmin(admin.ModelAdmin):
    list_display = ["patient", "method", "confirmed_by", "confirmed_at"]
    list_filter = ["method"]
    search_fields = ["patient__pesel", "patient__last_name"]
    raw_id_fields = ["patient", "confirmed_by"]
    list_select_related = ["patient", "confirmed_by"]

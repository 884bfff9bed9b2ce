from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from carenet.accounts.admin_reads import RecordsPatientReads
from carenet.accounts.forms import PatientAdminForm
from carenet.accounts.models import (
    Consent,
    ContactChange,
    IdentityConfirmation,
    IdentityRequest,
    PasswordReset,
    Patient,
    PatientRead,
    User,
)
from carenet.accounts.permissions import Action
from carenet.accounts.selectors import actor_for_user


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
    """ACC-5: shown, not edited — a confirmation is made through identity_confirm, which also raises the level."""

    model = IdentityConfirmation
    extra = 0
    can_delete = False
    fields = ["method", "confirmed_by", "confirmed_at", "document", "terms_signed", "note"]
    readonly_fields = ["method", "confirmed_by", "confirmed_at", "document", "terms_signed", "note"]

    def has_add_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False


@admin.register(Patient)
class PatientAdmin(RecordsPatientReads, admin.ModelAdmin):
    patient_attribute = "pk"
    form = PatientAdminForm
    list_display = ["last_name", "first_name", "pesel", "birth_date", "mobile", "account_level"]
    list_filter = ["account_level", "sex"]
    search_fields = ["pesel", "last_name", "first_name", "mobile", "email"]
    readonly_fields = ["birth_date", "sex", "account_level", "created_at"]
    raw_id_fields = ["user", "guardian"]
    inlines = [IdentityConfirmationInline]
    show_full_result_count = False


@admin.register(IdentityConfirmation)
class IdentityConfirmationAdmin(RecordsPatientReads, admin.ModelAdmin):
    """ACC-5: who confirmed whose identity, how and when. Confirmations are made in the staff consoles and the
    portal (they raise the account level); here they are read."""

    list_display = ["patient", "method", "confirmed_by", "confirmed_at", "document", "terms_signed"]
    readonly_fields = ["patient", "method", "confirmed_by", "confirmed_at", "document", "terms_signed", "note"]
    date_hierarchy = "confirmed_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False

    list_filter = ["method"]
    search_fields = ["patient__pesel", "patient__last_name"]
    list_select_related = ["patient", "confirmed_by"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records of what staff did (ACC-5, ACC-6): made through the consoles, read here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False


@admin.register(IdentityRequest)
class IdentityRequestAdmin(RecordsPatientReads, ReadOnlyAdmin):
    list_display = ["patient", "status", "created_at", "reviewed_by", "reviewed_at", "reason"]
    list_filter = ["status"]
    search_fields = ["patient__pesel", "patient__last_name"]
    list_select_related = ["patient", "reviewed_by"]
    date_hierarchy = "created_at"


@admin.register(PasswordReset)
class PasswordResetAdmin(RecordsPatientReads, ReadOnlyAdmin):
    list_display = ["patient", "channel", "reset_by", "reset_at"]
    list_filter = ["channel"]
    search_fields = ["patient__pesel", "patient__last_name", "user__username"]
    list_select_related = ["patient", "reset_by"]
    date_hierarchy = "reset_at"


@admin.register(ContactChange)
class ContactChangeAdmin(RecordsPatientReads, ReadOnlyAdmin):
    """ACC-8: every change of a patient's contact data (masked), who made it, when and through which door."""

    list_display = ["at", "patient", "field", "old_value", "new_value", "by", "channel"]
    list_filter = ["field", "channel"]
    search_fields = ["=patient__pesel", "patient__last_name"]
    list_select_related = ["patient", "by"]
    date_hierarchy = "at"


@admin.register(Consent)
class ConsentAdmin(RecordsPatientReads, ReadOnlyAdmin):
    """ACC-8: every consent given or withdrawn; the rows "in force" are the state the messages follow."""

    list_display = ["at", "patient", "kind", "granted", "current", "by", "channel"]
    list_filter = ["kind", "granted", "current", "channel"]
    search_fields = ["=patient__pesel", "patient__last_name"]
    list_select_related = ["patient", "by"]
    date_hierarchy = "at"


@admin.register(PatientRead)
class PatientReadAdmin(ReadOnlyAdmin):
    """CLN-6, issue 10: who read which patient's data — listed for administrators only (the permission table's
    ``READ_RECORD_AUDIT``), never added, changed or deleted here (rows go only when their keep time is over)."""

    list_display = ["at", "patient", "reader", "role", "facility", "what", "reference", "door"]
    list_filter = ["role", "door", "what"]
    search_fields = ["=patient__pesel", "=reader__username"]
    list_select_related = ["patient", "reader", "facility__city"]
    date_hierarchy = "at"
    readonly_fields = ["at", "patient", "reader", "role", "facility", "what", "reference", "door"]
    show_full_result_count = False

    def has_module_permission(self, request: HttpRequest) -> bool:
        return actor_for_user(request.user).can(Action.READ_RECORD_AUDIT)

    def has_view_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return actor_for_user(request.user).can(Action.READ_RECORD_AUDIT)

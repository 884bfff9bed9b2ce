"""The back office's queue of laboratories' messages (CLN-3, issue 12): administrators only (the permission table's
``RESULT_REVIEW``).

Every HL7 message received is listed — filter "waiting for review" for those that matched no patient or order. A
queued message is shown as received (never edited, never deleted) with two actions: file it for the patient it is
really for (a person enters that patient's PESEL; the results are then stored as for a matched message, with the
SMS), or dismiss it. Opening a message is a read of its patient's data when the patient is known (What.RESULTS).
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from carenet.accounts.models import Patient
from carenet.accounts.permissions import Action
from carenet.accounts.reads import Door, What, patient_reads_record
from carenet.accounts.selectors import actor_for_user
from carenet.core import clock
from carenet.core.errors import ApplicationError
from carenet.core.validation import db_id_or_none, text_problem
from carenet.results import policies, services
from carenet.results.models import InboundMessage

#: Lines of a message longer than this (a PDF in Base64) are shown cut.
SHOWN_LINE_CHARS = 300


class AssignForm(forms.Form):
    """The PESEL of the patient the message is really for (checked by a person against the message)."""

    pesel = forms.CharField(label=_("PESEL of the patient"), max_length=11, min_length=11)

    def clean_pesel(self) -> str:
        pesel: str = self.cleaned_data["pesel"].strip()
        if text_problem(pesel) is not None or not policies.pesel_valid(pesel):
            raise forms.ValidationError(_("Enter a valid PESEL."))
        if not Patient.objects.filter(pesel=pesel).exists():
            raise forms.ValidationError(_("No patient with this PESEL."))
        return pesel


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    list_display = [
        "received_at",
        "sender",
        "control_id",
        "state",
        "ack_code",
        "patient_pesel",
        "patient_name",
        "order_number",
        "ack_text",
    ]
    list_filter = ["state", "ack_code", "sender"]
    search_fields = ["=control_id", "=patient_pesel", "=order_number"]
    date_hierarchy = "received_at"
    show_full_result_count = False
    fields = (
        "received_at",
        "sender",
        "control_id",
        "message_type",
        "state",
        "ack_code",
        "ack_text",
        "patient_pesel",
        "patient_name",
        "order_number",
        "reviewed_by",
        "reviewed_at",
        "message_text",
    )
    readonly_fields = fields
    change_form_template = "admin/results/inboundmessage/change_form.html"

    def _may_review(self, request: HttpRequest) -> bool:
        return actor_for_user(request.user).can(Action.RESULT_REVIEW)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self._may_review(request)

    def has_view_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return self._may_review(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object | None = None) -> bool:
        return False

    @admin.display(description=_("message"))
    def message_text(self, obj: InboundMessage) -> str:
        lines = []
        for line in obj.raw.split("\r"):
            if len(line) > SHOWN_LINE_CHARS:
                line = f"{line[:SHOWN_LINE_CHARS]}… ({len(line)})"
            lines.append(line)
        return format_html('<pre class="hl7-message">{}</pre>', "\n".join(lines))

    def get_urls(self) -> list[URLPattern]:
        review = [
            path(
                "<path:object_id>/assign/",
                self.admin_site.admin_view(require_POST(self.assign_view)),
                name="results_inboundmessage_assign",
            ),
            path(
                "<path:object_id>/dismiss/",
                self.admin_site.admin_view(require_POST(self.dismiss_view)),
                name="results_inboundmessage_dismiss",
            ),
        ]
        return [*review, *super().get_urls()]

    def _patients_of(self, message: InboundMessage) -> list[int]:
        """Whose data the message is, when CareNet knows: the patient of its results, or the patient with its PESEL."""
        ids = list(message.results.values_list("patient_id", flat=True).distinct())
        if not ids and message.patient_pesel:
            ids = list(Patient.objects.filter(pesel=message.patient_pesel).values_list("pk", flat=True))
        return ids

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        pk = db_id_or_none(object_id)
        message = InboundMessage.objects.filter(pk=pk).first() if pk is not None else None
        context = {**(extra_context or {})}
        if message is not None and self._may_review(request):
            context["can_review"] = message.state == InboundMessage.State.REVIEW
            context["assign_form"] = AssignForm()
        response = super().change_view(request, object_id, form_url, context)
        if message is not None and getattr(response, "status_code", 0) == 200 and self._may_review(request):
            patient_reads_record(
                actor=actor_for_user(request.user),
                patient_ids=self._patients_of(message),
                what=What.RESULTS,
                door=Door.BACK_OFFICE,
                reference=f"hl7:{message.pk}",
                now=clock.now(),
            )
        return response

    def _queued(self, request: HttpRequest, object_id: str) -> InboundMessage:
        if not self._may_review(request):
            raise DjangoPermissionDenied
        pk = db_id_or_none(object_id)
        message = InboundMessage.objects.filter(pk=pk).first() if pk is not None else None
        if message is None:
            raise Http404
        return message

    def _back(self, message: InboundMessage) -> HttpResponseRedirect:
        return HttpResponseRedirect(reverse("admin:results_inboundmessage_change", args=[message.pk]))

    def assign_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        message = self._queued(request, object_id)
        form = AssignForm(request.POST)
        if not form.is_valid():
            for errors in form.errors.values():
                self.message_user(request, " ".join(str(error) for error in errors), messages.ERROR)
            return self._back(message)
        patient = Patient.objects.get(pesel=form.cleaned_data["pesel"])
        try:
            services.message_assign(actor=actor_for_user(request.user), message_id=message.pk, patient_id=patient.pk)
        except ApplicationError as error:
            self.message_user(request, str(error.message), messages.ERROR)
        else:
            self.message_user(request, _("The results were filed for %(patient)s.") % {"patient": patient})
        return self._back(message)

    def dismiss_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        message = self._queued(request, object_id)
        try:
            services.message_dismiss(actor=actor_for_user(request.user), message_id=message.pk)
        except ApplicationError as error:
            self.message_user(request, str(error.message), messages.ERROR)
        else:
            self.message_user(request, _("The message was dismissed; it stays on record."))
        return self._back(message)

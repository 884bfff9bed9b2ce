"""The back office records its reads of patients' data like every other door (CLN-6, issue 10): a list of
visits, enrolments or referrals is a read of each patient listed, a record opened is a read of its patient."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse

from carenet.accounts.reads import Door, What, patient_reads_record
from carenet.accounts.selectors import actor_for_user
from carenet.core import clock


class RecordsPatientReads:
    """A ModelAdmin mixin: ``patient_attribute`` names the attribute holding the patient's id (``"pk"`` for the
    patient itself)."""

    patient_attribute = "patient_id"

    def _record(self, request: HttpRequest, rows: Any, what: What) -> None:
        ids = [getattr(row, self.patient_attribute, None) for row in rows]
        patient_reads_record(
            actor=actor_for_user(request.user),
            patient_ids=[pk for pk in ids if isinstance(pk, int)],
            what=what,
            door=Door.BACK_OFFICE,
            now=clock.now(),
        )

    def changelist_view(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> HttpResponse:
        response: HttpResponse = super().changelist_view(request, extra_context)  # type: ignore[misc]
        listing = getattr(response, "context_data", None) or {}
        if "cl" in listing:
            self._record(request, listing["cl"].result_list, What.PATIENT_SEARCH)
        return response

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        response: HttpResponse = super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]
        shown = (getattr(response, "context_data", None) or {}).get("original")
        if shown is not None:
            self._record(request, [shown], What.PATIENT_PAGE)
        return response

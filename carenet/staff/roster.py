"""The roster of a contract, kept by its employer's or insurer's contact (PKG-3, PKG-8).

``roster``: the contract's people — name, the PESEL's last four digits, tier, activation and paid-through dates,
whether they left the roster, whether they have a portal account; never a visit or anything medical. A coordinator
or an administrator chooses the contract (``?contract=``); a contact sees only their own (another answers 404).
``roster_upload``: a CSV file is checked line by line and shown as a report before anything is stored; "Apply"
then stores its valid lines (:func:`carenet.coverage.services.roster_upload_apply`). ``roster_export``: the roster
as CSV, with every cell a spreadsheet could run as a formula made inert.
"""

from __future__ import annotations

import csv

from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from carenet.accounts.permissions import Action, Actor, Scope
from carenet.core import clock
from carenet.core.errors import ApplicationError, NotFound, ValidationFailed
from carenet.core.spreadsheets import spreadsheet_safe
from carenet.core.validation import db_id_or_none, text_problem
from carenet.coverage.models import Contract, RosterUpload
from carenet.coverage.roster import (
    COLUMNS,
    MAX_FILE_BYTES,
    MAX_LINES,
    LineProblem,
    RosterReport,
    pesel_masked,
    roster_status,
)
from carenet.coverage.selectors import contract_package_scope, roster_entries
from carenet.coverage.services import access_contract, roster_report_for, roster_upload_apply, roster_upload_check
from carenet.web.access import request_actor, staff_required

PER_PAGE = 50
#: How many lines of a report a page shows at once (the invalid ones first; the totals count them all).
REPORT_LINES_SHOWN = 500


def problem_text(problem: LineProblem) -> str:
    return {
        LineProblem.FIELD_COUNT: _("the line has another number of fields than the header"),
        LineProblem.NAME_MISSING: _("first or last name missing"),
        LineProblem.NAME_TOO_LONG: _("name too long"),
        LineProblem.NAME_CHARACTERS: _("the name contains digits or control characters"),
        LineProblem.NAME_FORMULA: _("the name starts with =, +, -, @ or a tab (a spreadsheet formula)"),
        LineProblem.PESEL_FORMAT: _("PESEL must be 11 digits"),
        LineProblem.PESEL_CHECKSUM: _("PESEL check digit is wrong"),
        LineProblem.PESEL_BIRTH_DATE: _("PESEL encodes no valid birth date"),
        LineProblem.TIER_UNKNOWN: _("the contract offers no such package"),
        LineProblem.DATE_INVALID: _("a date is missing or not a date (YYYY-MM-DD or DD.MM.YYYY)"),
        LineProblem.DATES_ORDER: _("paid-through date before the activation date"),
        LineProblem.MOBILE_MISSING: _("a main member needs a mobile phone number"),
        LineProblem.MOBILE_INVALID: _("not a Polish mobile phone number"),
        LineProblem.EMAIL_INVALID: _("not an e-mail address"),
        LineProblem.HOLDER_PESEL_INVALID: _("the main member's PESEL is not valid"),
        LineProblem.HOLDER_IS_SELF: _("a person cannot be their own main member"),
        LineProblem.HOLDER_NOT_ON_ROSTER: _("the main member is not on the roster"),
        LineProblem.DUPLICATE: _("the same PESEL is on another line"),
    }[problem]


def _contract_choice(request: HttpRequest, actor: Actor, action: Action) -> tuple[Contract | None, list[Contract]]:
    """The contract the page is about, and the contracts to choose from (for ANY scope)."""
    choices: list[Contract] = []
    if actor.scope(action) is Scope.ANY:
        choices = list(Contract.objects.exclude(kind=Contract.Kind.INDIVIDUAL).order_by("name"))
        raw = request.GET.get("contract") or request.POST.get("contract") or ""
        contract_id = db_id_or_none(raw) if raw.isascii() and raw.isdigit() else None
        if raw and contract_id is None:
            raise Http404
        if contract_id is None:
            return None, choices
    else:
        contract_id = actor.contract_id
        raw = request.GET.get("contract") or request.POST.get("contract") or ""
        if raw and raw != str(contract_id):  # another contract's roster does not exist for a contact
            raise Http404
    try:
        return access_contract(actor=actor, action=action, contract_id=contract_id), choices
    except NotFound as exc:
        raise Http404 from exc


@require_GET
@staff_required(Action.ROSTER_VIEW)
def roster(request: HttpRequest) -> HttpResponse:
    """PKG-8: the contract's roster, 50 people a page, searchable by last name or the PESEL's last digits."""
    actor = request_actor(request)
    contract, choices = _contract_choice(request, actor, Action.ROSTER_VIEW)
    search = request.GET.get("q", "")[:60]
    if text_problem(search):
        search = ""
    page = None
    today = clock.today()
    if contract is not None:
        page = Paginator(roster_entries(contract_id=contract.pk, search=search), PER_PAGE).get_page(
            request.GET.get("page")
        )
        for entry in page.object_list:
            entry.masked = pesel_masked(entry.pesel)
            entry.status = roster_status(
                activation_date=entry.activation_date, paid_through=entry.paid_through, day=today
            )
    query: dict[str, str] = {"contract": str(contract.pk)} if contract is not None and choices else {}
    scope_tiers, scope_rows = contract_package_scope(contract_id=contract.pk) if contract is not None else ([], [])
    return render(
        request,
        "staff/roster/roster.html",
        {
            "contract": contract,
            "choices": choices,
            "page": page,
            "search": search,
            "querystring": urlencode({**query, "q": search}),
            "contract_query": urlencode(query),
            "may_upload": contract is not None and actor.reaches(Action.ROSTER_UPLOAD, contract_id=contract.pk),
            "scope_tiers": scope_tiers,
            "scope_rows": scope_rows,
            "uploads": RosterUpload.objects.filter(contract=contract, applied_at__isnull=False)[:5] if contract else [],
        },
    )


@require_GET
@staff_required(Action.ROSTER_VIEW)
def roster_export(request: HttpRequest) -> HttpResponse:
    """PKG-8: the roster as a CSV file in the upload's columns (UTF-8 with a BOM, ``;``), formula-safe."""
    actor = request_actor(request)
    contract, _choices = _contract_choice(request, actor, Action.ROSTER_VIEW)
    if contract is None:
        raise Http404
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="roster-{contract.code}.csv"'
    response["Cache-Control"] = "no-store"
    response.write("\ufeff")
    writer = csv.writer(response, delimiter=";")
    writer.writerow([*COLUMNS, "left_on"])
    for entry in roster_entries(contract_id=contract.pk).iterator(chunk_size=2000):
        writer.writerow(
            [
                spreadsheet_safe(value)
                for value in (
                    entry.first_name,
                    entry.last_name,
                    entry.pesel,
                    entry.tier.code,
                    entry.activation_date.isoformat(),
                    entry.paid_through.isoformat(),
                    entry.mobile,
                    entry.email,
                    entry.holder_pesel,
                    entry.left_on.isoformat() if entry.left_on else "",
                )
            ]
        )
    return response


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Roster file (CSV)"),
        help_text=gettext_lazy("UTF-8, fields separated by ; or , and the header line of the columns below."),
    )
    mode = forms.ChoiceField(
        label=gettext_lazy("What the file is"),
        choices=RosterUpload.Mode.choices,
        initial=RosterUpload.Mode.CHANGES,
        widget=forms.RadioSelect,
    )


def _report_context(report: RosterReport) -> dict[str, object]:
    invalid = report.invalid_lines
    shown = (invalid + report.valid_lines)[:REPORT_LINES_SHOWN]
    return {
        "report": report,
        "invalid_count": len(invalid),
        "valid_count": len(report.lines) - len(invalid),
        "rows": [
            {
                "line": line,
                "masked": pesel_masked(line.pesel),
                "problems": [problem_text(problem) for problem in line.problems],
            }
            for line in shown
        ],
        "shown_all": len(shown) == len(report.lines),
    }


@require_http_methods(["GET", "POST"])
@staff_required(Action.ROSTER_UPLOAD)
def roster_upload(request: HttpRequest) -> HttpResponse:
    """PKG-8: upload a roster file → the report line by line (nothing stored on the roster) → "Apply"."""
    actor = request_actor(request)
    if request.method == "POST" and "apply" in request.POST:
        return _apply(request, actor)
    contract, choices = _contract_choice(request, actor, Action.ROSTER_UPLOAD)
    context: dict[str, object] = {
        "contract": contract,
        "choices": choices,
        "columns": COLUMNS,
        "max_mb": MAX_FILE_BYTES // 1024 // 1024,
        "max_lines": MAX_LINES,
        "contract_query": urlencode({"contract": contract.pk}) if contract is not None and choices else "",
    }
    form = RosterUploadForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST" and contract is not None:
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                if upload.size > MAX_FILE_BYTES:
                    raise ValidationFailed(
                        _("The file is too big: at most %(size)d MB.") % {"size": MAX_FILE_BYTES // 1024 // 1024},
                        code="roster_too_big",
                    )
                kept, report = roster_upload_check(
                    actor=actor,
                    user=request.user,  # type: ignore[arg-type]
                    contract=contract,
                    raw=upload.read(),
                    file_name=upload.name or "",
                    mode=form.cleaned_data["mode"],
                )
            except ValidationFailed as refusal:
                form.add_error("file", str(refusal.message))
                status = 422
            else:
                context.update(_report_context(report), upload=kept)
                return render(request, "staff/roster/report.html", context)
        else:
            status = 422
    elif request.method == "POST":
        raise Http404
    context["form"] = form
    return render(request, "staff/roster/upload.html", context, status=status)


def _apply(request: HttpRequest, actor: Actor) -> HttpResponse:
    upload_id = db_id_or_none(request.POST.get("apply", ""))
    upload = RosterUpload.objects.filter(pk=upload_id).first() if upload_id is not None else None
    if upload is None or not actor.reaches(Action.ROSTER_UPLOAD, contract_id=upload.contract_id):
        raise Http404
    try:
        applied = roster_upload_apply(actor=actor, upload_id=upload.pk)
    except NotFound as exc:
        raise Http404 from exc
    except ApplicationError as refusal:
        messages.error(request, str(refusal.message))
    else:
        messages.success(
            request,
            _(
                "The roster is updated: %(added)d added, %(changed)d changed, %(left)d left the roster, "
                "%(enrolled)d new enrolments (told by e-mail), %(skipped)d invalid lines not applied."
            )
            % {
                "added": applied.added,
                "changed": applied.changed,
                "left": applied.left,
                "enrolled": applied.enrolled,
                "skipped": applied.skipped,
            },
        )
    query = urlencode({"contract": upload.contract_id}) if actor.scope(Action.ROSTER_VIEW) is Scope.ANY else ""
    return redirect(f"{reverse('staff:roster')}?{query}" if query else reverse("staff:roster"))


@require_GET
@staff_required(Action.ROSTER_UPLOAD)
def roster_upload_report(request: HttpRequest, upload_id: int) -> HttpResponse:
    """PKG-8: the report of a kept upload again (e.g. after going back), checked against today's roster."""
    actor = request_actor(request)
    upload = RosterUpload.objects.select_related("contract").filter(pk=upload_id).first()
    if upload is None or not actor.reaches(Action.ROSTER_UPLOAD, contract_id=upload.contract_id):
        raise Http404
    choices = actor.scope(Action.ROSTER_UPLOAD) is Scope.ANY
    context: dict[str, object] = {
        "contract": upload.contract,
        "upload": upload,
        "contract_query": urlencode({"contract": upload.contract_id}) if choices else "",
        **_report_context(roster_report_for(upload, today=clock.today())),
    }
    return render(request, "staff/roster/report.html", context)

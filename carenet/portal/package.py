"""PKG-7: "Twój pakiet medyczny" — the patient's package: tier, contract, dates, what it covers at their age, the
annual limits used and left this enrolment year, and the partner facilities their contract allows (NET-2: booked
by phone or on the spot, never in the portal). A guardian switches to a child's package (``?for=<child id>``);
anyone else's answers 404.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from carenet.accounts import selectors as account_selectors
from carenet.accounts.models import Patient
from carenet.accounts.permissions import Action
from carenet.core import clock
from carenet.coverage.selectors import PackageItemLine, package_overview
from carenet.portal.ecard import _holder
from carenet.web.access import forbidden, patient_required, request_actor
from carenet.web.reads import What, record_reads


def group_label(group: str) -> str:
    """The heading of a group of benefits (the matrix's ``group`` codes)."""
    labels = {
        "consultations": _("Doctors' consultations"),
        "online": _("Online consultations"),
        "on-call": _("On-call doctors"),
        "opinions": _("Second opinion and consilium"),
        "nursing": _("Nursing procedures"),
        "procedures": _("Outpatient procedures"),
        "vaccinations": _("Vaccinations"),
        "lab-panel": _("Laboratory tests without a referral"),
        "diagnostics": _("Diagnostics"),
        "allergy-tests": _("Allergy tests"),
        "pregnancy": _("Pregnancy care"),
        "prevention": _("Preventive check-up"),
        "physiotherapy": _("Physiotherapy"),
        "dental": _("Dental care"),
        "home-care": _("Home visits and home nursing"),
        "insurance": _("Travel insurance"),
        "coordination": _("Hospital care coordination"),
        "surgery": _("Short-stay surgery"),
        "vip": _("VIP carer"),
        "sports-medicine": _("Sports medicine"),
        "discounts": _("Discounts"),
    }
    return labels.get(group, group.replace("-", " ").capitalize())


def line_rule_text(line: PackageItemLine) -> str:
    """PKG-4 in words: "covered", "limit 3 a year", "once a year without a referral", "discount 15%"."""
    if line.rule == "annual_limit":
        text = _("limit %(count)d a year") % {"count": line.annual_limit or 0}
    elif line.rule == "once_a_year":
        text = _("once a year")
    elif line.rule == "discount":
        text = _("discount %(percent)d%%") % {"percent": line.discount_percent or 0}
    else:
        text = _("covered")
    if line.without_referral:
        text = _("%(rule)s, without a referral") % {"rule": text}
    return text


@require_GET
@patient_required
def package(request: HttpRequest) -> HttpResponse:
    """PKG-7: "Twój pakiet medyczny"."""
    actor = request_actor(request)
    me: Patient = request.patient  # type: ignore[attr-defined]
    day = clock.today()
    holder = _holder(request, day)
    if not actor.reaches(Action.PACKAGE_VIEW, patient_id=holder.pk):
        return forbidden(request)
    overview = package_overview(patient=holder, day=day)
    if holder.pk != me.pk:  # a guardian reading a child's package reads the child's data
        record_reads(request, patient_ids=[holder.pk], what=What.PATIENT_PAGE, reference="package")
    groups: list[tuple[str, list[dict[str, object]]]] = []
    if overview is not None:
        index: dict[str, list[dict[str, object]]] = {}
        for benefit in overview.benefits:
            rows = index.setdefault(benefit.group, [])
            if not rows:
                groups.append((group_label(benefit.group), rows))
            rows.append(
                {
                    "benefit": benefit,
                    "lines": [(line_rule_text(line), line) for line in benefit.lines],
                }
            )
    family = account_selectors.patients_acting_for(patient=me, today=day)
    context = {
        "overview": overview,
        "holder": holder,
        "family": family,
        "groups": groups,
        "today": day,
        "for_query": urlencode({"for": holder.pk}) if holder.pk != me.pk else "",
    }
    return render(request, "portal/package.html", context)

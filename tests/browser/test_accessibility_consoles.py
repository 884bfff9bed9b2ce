"""Every page of the staff consoles, on the demo network, as each staff role that reaches it meets it — empty, with
data, with the errors of a form sent empty or wrong, and after an action (a check-in and its undo, a booking, a
question answered, a renewal decided) — in Polish and in English: axe-core (WCAG 2.2 A/AA) at 1280×800 and 390×844
and no sideways scroll at 390 and 320 px (BEY-5, issue 14).

Each role logs in once (a two-step code is taken once). The pages a test checked are recorded by URL name, and the
last test proves that every GET page of ``staff:`` was checked but for the short list of addresses that are not
pages. The Django admin (the back office) is not a console page and is left out of the tour.

Each test checks all its pages and reports every problem it found at its end (not only the first one).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.utils import translation

from carenet.demo.people import PASSWORDS
from tests.browser.accessibility import check_page
from tests.browser.demo_site import PASSWORD_OF, DemoSite, demo_environment, totp_code, url
from tests.live_server import ROOT

pytestmark = [pytest.mark.browser]

LANGUAGES = ("pl", "en")
#: The URL names of the console pages checked by this module's tests.
CHECKED: set[str] = set()

#: Addresses of ``staff:`` that are not pages a person looks at, and so are not in the tour.
NOT_PAGES = {
    # POST-only actions: their outcome is the page the tour checks after the action (day list, patient, queue …).
    "staff:logout",
    "staff:reception_act",
    "staff:reception_undo",
    "staff:clinician_call",
    "staff:clinician_visit_close",
    "staff:consultation_take_next",
    "staff:consultation_end",
    "staff:consultation_join",
    "staff:question_answer",
    "staff:renewal_issue",
    "staff:renewal_decline",
    "staff:identity_review",
    "staff:closure_reopen",
    "staff:closure_called",
    # BKG-7: resolving a pregnancy-care request and recording where a pregnancy is led answer with the request's or
    # the visit's page, which the tour checks.
    "staff:pregnancy_request_book",
    "staff:pregnancy_request_decline",
    "staff:pregnancy_request_care",
    "staff:pregnancy_care_visit",
    "staff:pregnancy_care_end",
    # The room's media token: JSON for the room's script.
    "staff:consultation_token",
    # FBK-2, FBK-3: taking, answering, reviewing, deciding (back to the case's page, checked); a claim's document.
    "staff:complaint_take",
    "staff:complaint_answer",
    "staff:claim_review",
    "staff:claim_decide",
    "staff:claim_attachment",
    # Downloads (PDF, the patient's stored file).
    "staff:result_pdf",
    "staff:collection_result_pdf",
    "staff:patient_file",
    "staff:roster_export",  # PKG-8: the roster as CSV
    # BEY-4: a figure of the network's dashboard as CSV (its links are on the checked page).
    "staff:dashboard_network_csv",
    # Fragments loaded into a page by HTMX, checked inside it: the no-show blocks of the patient's page, the drug
    # choices of the prescription form.
    "staff:patient_no_shows",
    "staff:clinician_drugs",
}

#: Run in the demo's own environment before the tour: a visit at recepcja1's desk happening now (so that it can be
#: checked in and the check-in undone whatever the time of day), a staff login without an authenticator app (the
#: enrolment page), an identity request waiting for the call centre; answers what the tour needs as JSON.
PREPARE = """
import datetime as dt, json
from axes.utils import reset
from django.contrib.auth.hashers import make_password
from django_otp.plugins.otp_totp.models import TOTPDevice
from carenet.accounts.models import IdentityRequest, Patient, User
from carenet.booking.models import Appointment
from carenet.consultations.models import Consultation
from carenet.core import clock
from carenet.coverage.models import Enrolment
from carenet.scheduling.models import Mode, Schedule, Slot
from carenet.demo.people import PASSWORDS

now = clock.now().replace(microsecond=0)
desk = User.objects.get(username="recepcja1")
doctor = User.objects.get(username="lekarz").clinician
patient = Patient.objects.get(user__username="pacjent2")
visit = Appointment.objects.filter(
    patient=patient, slot__facility_id=desk.facility_id, slot__ends_at__gt=now + dt.timedelta(minutes=5),
    slot__starts_at__lte=now, status__in=["booked", "checked_in"],
).first()
if visit is None:
    model = Appointment.objects.filter(slot__facility_id=desk.facility_id, slot__clinician=doctor).select_related(
        "slot__schedule").first()
    schedule = model.slot.schedule
    starts = now - dt.timedelta(minutes=1, seconds=now.second % 60 + 1)
    slot = Slot.objects.create(schedule=schedule, clinician=doctor, facility_id=desk.facility_id,
        specialty=model.slot.specialty, mode=Mode.IN_PERSON, room=model.slot.room, starts_at=starts,
        ends_at=starts + dt.timedelta(minutes=20), is_free=False)
    visit = Appointment.objects.create(patient=patient, slot=slot, service=model.service, channel="call_centre",
        booked_by=User.objects.get(username="infolinia"), enrolment=patient.enrolments.first())
Appointment.objects.filter(pk=visit.pk).update(status="booked", checked_in_at=None, checked_in_by=None,
    check_in_channel="")
fresh, _ = User.objects.get_or_create(username="recepcja-nowa", defaults={
    "role": "receptionist", "facility_id": desk.facility_id, "first_name": "Nina", "last_name": "Nowa"})
fresh.password = make_password(PASSWORDS["receptionist"])
fresh.must_change_password = False
fresh.save()
TOTPDevice.objects.filter(user=fresh).delete()
reset(username="recepcja-nowa")
# Not a demo login's patient: the portal's own tour logs those in.
asker = (Patient.objects.filter(account_level=1, user__isnull=False).exclude(user__username__in=["pacjent1",
    "pacjent2", "rodzic"]).exclude(user__username__startswith="pakiet").order_by("-pk").first())
if asker is not None and not IdentityRequest.objects.filter(patient=asker, status="open").exists():
    IdentityRequest.objects.create(patient=asker, message="Proszę o potwierdzenie tożsamości.",
        phone_time="po 16:00", created_at=now)
consultation = Consultation.objects.filter(clinician=doctor).order_by("-pk").first()
print(json.dumps({
    "patient": patient.pk, "pesel": patient.pesel, "patient_name": patient.last_name, "visit": visit.pk,
    "consultation": consultation.pk if consultation else None,
    "ecard": Enrolment.objects.filter(patient=patient).values_list("ecard_number", flat=True).first(),
}))
"""


@pytest.fixture(scope="module")
def demo(demo_site: DemoSite) -> dict[str, Any]:
    """The facts the tour needs, after :data:`PREPARE` ran in the demo's database."""
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", PREPARE],
        cwd=ROOT,
        env=demo_environment(),
        check=True,
        capture_output=True,
        text=True,
    )
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def view_name(path: str) -> str:
    with translation.override("en" if path.startswith("/en/") else "pl"):
        return resolve(path).view_name


class Tour:
    """One role's walk: opens pages, checks each state, and keeps every problem for the end of the test."""

    def __init__(self, page: Any, site: DemoSite) -> None:
        self.page, self.site = page, site
        self.problems: list[str] = []

    def go(self, name: str, language: str = "pl", **kwargs: Any) -> None:
        self.site.go(self.page, name, language, **kwargs)

    def check(self, label: str, also: str = "") -> None:
        """Check the page as it is now; ``also`` names the address that led to it (a GET answered by a redirect)."""
        self.page.wait_for_load_state()
        CHECKED.add(view_name(urlparse(self.page.url).path))
        if also:
            CHECKED.add(also)
        try:
            check_page(self.page, label)
        except AssertionError as problem:
            self.problems.append(str(problem))

    def submit(self, form: str = "main form:not([role=search]):not(.lang)") -> None:
        """Send a form of the page (the first one matching ``form``) and wait for the answer."""
        self.page.locator(form).first.locator("button[type=submit]").first.click()
        self.page.wait_for_load_state()

    def settle(self) -> None:
        """Wait until HTMX has swapped what it asked for."""
        self.page.wait_for_function("() => !document.querySelector('.htmx-request')")

    def login(self, username: str, language: str = "pl") -> None:
        """Password, then the two-step code — both pages checked on the way in."""
        group = PASSWORD_OF.get(username) or "receptionist"
        self.go("staff:login", language)
        self.page.fill("#id_username", username)
        self.page.fill("#id_password", PASSWORDS[group])
        self.submit("main form")
        if self.page.locator("#id_code").count():
            self.check(f"two-step code of {username} ({language})")
            self.page.fill("#id_code", totp_code(username))
            self.submit("main form")
        assert self.page.locator("form[action$='/logout/']").count(), f"{username} was not let in: {self.page.url}"

    def done(self) -> None:
        assert not self.problems, "\n\n".join(self.problems)


@pytest.fixture
def tour(page: Any, demo_site: DemoSite) -> Iterator[Tour]:
    yield Tour(page, demo_site)


def test_the_call_centre_finds_a_patient_and_books_for_them(tour: Tour, demo: dict[str, Any]) -> None:
    page = tour.page
    tour.go("staff:login")
    tour.check("staff login (pl)")
    tour.go("staff:login", "en")
    tour.check("staff login (en)")
    tour.login("infolinia")
    patient = demo["patient"]
    for language in LANGUAGES:
        tour.go("staff:dashboard", language)
        tour.check(f"call-centre dashboard ({language})")
        tour.go("staff:patients", language)
        tour.check(f"find a patient, empty ({language})")
        for query, state in (("ab", "too short"), (demo["patient_name"], "found"), ("00000000000", "no such PESEL")):
            page.fill("#id_q", query)
            page.press("#id_q", "Enter")
            tour.settle()
            tour.check(f"find a patient: {state} ({language})")
        page.fill("#id_q", demo["pesel"])  # a whole PESEL opens the patient's page
        page.press("#id_q", "Enter")
        page.wait_for_url(f"**/{patient}/")
        page.wait_for_selector("#results, h2", state="attached")
        tour.settle()
        tour.check(f"the patient's page ({language})")
        tour.go("staff:patient_search", language, patient_id=patient)
        tour.check(f"find a visit for the patient, empty ({language})")
        specialty = page.locator("main form[role=search] select").first
        options = specialty.locator("option:not([value=''])")
        if options.count():
            specialty.select_option(options.first.get_attribute("value"))
        tour.submit("main form[role=search]")
        tour.settle()
        tour.check(f"free slots for the patient ({language})")
        book = page.locator("main a[href*='/book/']")
        assert book.count(), f"no free slot offered to the call centre ({language})"
        book.first.click()
        page.wait_for_load_state()
        tour.check(f"confirm the booking ({language})")
        tour.submit()
        if page.locator("main .errorlist").count():
            tour.check(f"confirm the booking with its errors ({language})")
            for box in page.locator("main form input[type=checkbox]").all():
                box.check()
            tour.submit()
        tour.check(f"the patient's page after booking ({language})")
        cancel = page.locator("main a[href*='/cancel/']")
        assert cancel.count(), f"the new visit offers no cancel ({language})"
        cancel.first.click()
        page.wait_for_load_state()
        tour.check(f"cancel a visit ({language})")
        tour.submit()
        tour.check(f"the patient's page after cancelling ({language})")
        tour.go("staff:identity_confirm_phone", language, patient_id=patient)
        tour.check(f"confirm identity by phone ({language})")
        tour.submit()
        tour.check(f"confirm identity by phone, sent empty ({language})")
        tour.go("staff:password_reset", language, patient_id=patient)
        tour.check(f"password reset for a patient ({language})")
        tour.go("staff:identity_queue", language)
        tour.check(f"identity requests ({language})")
        tour.go("staff:reception", language)
        tour.check(f"day lists, no facility chosen ({language})")
        page.locator("#id_facility").select_option(index=1)
        tour.submit("main form.filter-row")
        tour.check(f"a facility's day list, read only ({language})")
        tour.go("staff:ecard_verify", language)
        tour.check(f"verify an E-Karta, empty ({language})")
        for number, state in (("12", "a wrong number"), (demo["ecard"], "a valid card")):
            page.fill("#number", number)
            tour.submit("main form.filter-row")
            tour.check(f"verify an E-Karta: {state} ({language})")
        tour.go("staff:renewal_order", language, patient_id=patient)
        tour.check(f"order a prescription ({language})")
        tour.go("staff:password_change", language)
        tour.check(f"change the password ({language})")
        tour.submit()
        tour.check(f"change the password, sent empty ({language})")
    tour.done()


def test_reception_checks_a_patient_in_and_undoes_it(tour: Tour, demo: dict[str, Any]) -> None:
    page = tour.page
    tour.login("recepcja1")
    patient, visit = demo["patient"], demo["visit"]
    for language in LANGUAGES:
        tour.go("staff:dashboard", language)
        tour.check(f"reception dashboard ({language})")
        tour.go("staff:reception", language)
        tour.check(f"the day list ({language})")
        page.fill("#id_name", demo["patient_name"])
        # The count is written into the page's polite status line, which stays in place (so it is announced), and
        # the receptionist keeps typing where they were.
        page.wait_for_function(
            "name => document.querySelector('#day-status[role=status]').textContent.includes(name)",
            arg=demo["patient_name"],
        )
        tour.settle()
        assert page.locator(f"#day-results #visit-{visit}").count() == 1
        assert page.evaluate("() => document.activeElement.id") == "id_name"
        tour.check(f"the day list filtered by name ({language})")
        row = page.locator(f"#visit-{visit}")
        row.locator("form[action*='/check_in/'] button").click()
        page.wait_for_selector(f"#visit-{visit}[data-status=checked_in]")
        tour.check(f"after a check-in ({language})")
        page.locator(f"#visit-{visit} form[action*='/undo-check-in/'] button").click()
        page.wait_for_selector(f"#visit-{visit}[data-status=booked]")
        tour.check(f"after undoing the check-in ({language})")
        page.fill("#id_name", "Zzyzx")
        page.wait_for_selector("#day-results tbody tr:not([data-appointment])")
        tour.settle()
        tour.check(f"the day list, nobody of that name ({language})")
        tour.go("staff:reception_entrance", language)
        tour.check(f"the entrance screen ({language})")
        tour.go("staff:patient", language, patient_id=patient)
        tour.settle()
        tour.check(f"the patient's page at the desk ({language})")
        tour.go("staff:identity_confirm_in_person", language, patient_id=patient)
        tour.check(f"confirm identity at the desk ({language})")
        tour.submit()
        tour.check(f"confirm identity at the desk, sent empty ({language})")
        tour.go("staff:collection", language, patient_id=patient)
        tour.check(f"authorisations to collect results ({language})")
        tour.submit()
        tour.check(f"authorisations to collect results, sent empty ({language})")
        revoke = page.locator("main a[href*='/revoke/']")
        if revoke.count():
            revoke.first.click()
            tour.check(f"revoke an authorisation ({language})")
        tour.go("staff:collection_check", language, patient_id=patient)
        tour.check(f"hand over results ({language})")
    tour.done()


def test_a_new_staff_member_sets_up_the_authenticator(tour: Tour, demo: dict[str, Any]) -> None:
    page = tour.page
    for language in LANGUAGES:
        page.context.clear_cookies()
        tour.go("staff:login", language)
        page.fill("#id_username", "recepcja-nowa")
        page.fill("#id_password", PASSWORDS["receptionist"])
        tour.submit("main form")
        tour.check(f"set up the authenticator app ({language})")
        page.fill("#id_code", "12")  # not 6 digits: refused by the form (a wrong code would count towards a lockout)
        tour.submit("main form")
        tour.check(f"set up the authenticator app, a code too short ({language})")
    tour.done()


def test_the_clinician_works_through_their_day(tour: Tour, demo: dict[str, Any]) -> None:
    page = tour.page
    tour.login("lekarz")
    for language in LANGUAGES:
        tour.go("staff:dashboard", language)
        tour.check(f"the clinician's day ({language})")
        # The visit prepared at recepcja1's desk is lekarz's, started a minute ago: documents may be issued.
        tour.go("staff:clinician_visit", language, appointment_id=demo["visit"])
        tour.check(f"a visit ({language})")
        # A document's address opens the visit with that document's form unfolded; the form is sent by HTMX.
        tour.go("staff:clinician_issue", language, appointment_id=demo["visit"], kind="recommendation")
        tour.check(f"issue a recommendation ({language})", also="staff:clinician_issue")
        page.locator("#issue-recommendation > summary").click()
        page.locator("#issue-recommendation form button[type=submit]").click()
        tour.settle()
        tour.check(f"issue a recommendation, sent empty ({language})")
        tour.go("staff:clinician_calls", language)
        tour.check(f"calls to make ({language})")
        tour.go("staff:consultations", language)
        tour.check(f"online consultations ({language})")
        if demo["consultation"]:
            tour.go("staff:consultation_room", language, consultation_id=demo["consultation"])
            tour.check(f"a consultation's room ({language})")
        tour.go("staff:results", language)
        tour.check(f"results ({language})")
        result = page.locator("main a[href*='/results/']:not([href$='/pdf/'])")
        if result.count():
            result.first.click()
            tour.check(f"a result ({language})")
        tour.go("staff:questions", language)
        tour.check(f"questions from patients ({language})")
        answer = page.locator("main form[action*='/answer/']")
        if answer.count():
            answer.first.locator("button[type=submit]").first.click()
            page.wait_for_load_state()
            tour.check(f"a question's answer sent empty ({language})")
            answer = page.locator("main form[action*='/answer/']")
            if answer.count():
                answer.first.locator("textarea").fill("Proszę przyjść na kontrolę za tydzień.")
                answer.first.locator("button[type=submit]").first.click()
                page.wait_for_load_state()
                tour.check(f"after answering a question ({language})")
        tour.go("staff:renewals", language)
        tour.check(f"prescription renewals ({language})")
        issue = page.locator("main form[action*='/renewals/'][action$='/issue/']")
        if issue.count():  # the prescription is issued with the dose and quantity of the last one
            issue.first.locator("button[type=submit]").click()
            page.wait_for_load_state()
            tour.check(f"after deciding a renewal ({language})")
    tour.done()


@pytest.mark.parametrize("username", ["koordynator", "partner"])
def test_coordinator_and_partner_staff_consoles(tour: Tour, username: str) -> None:
    page = tour.page
    tour.login(username)
    for language in LANGUAGES:
        tour.go("staff:dashboard", language)
        tour.check(f"{username}'s dashboard ({language})")
        if username == "koordynator":
            tour.go("staff:consultations", language)
            tour.check(f"the queues of online consultations ({language})")
        else:
            tour.go("staff:ecard_verify", language)
            page.fill("#number", "0000 0000")
            tour.submit("main form.filter-row")
            tour.check(f"a partner verifies an E-Karta ({language})")
    tour.done()


def test_the_coordinator_reads_the_ratings(tour: Tour) -> None:
    """FBK-1: koordynator's ratings page on the demo's ratings — averages per facility and specialty, the latest
    comments, the consultation survey — and a period refused (the end before the start)."""
    page = tour.page
    tour.login("koordynator")
    for language in LANGUAGES:
        tour.go("staff:ratings", language)
        assert page.locator("#by-facility tbody tr").count() > 1, "the demo's ratings are on the page"
        tour.check(f"the ratings ({language})")
    page.fill("#id_since", "2026-03-10")
    page.fill("#id_until", "2026-03-01")
    tour.submit("main form.filter-row")
    tour.check("the ratings, a period refused (pl)")
    tour.done()


def test_the_coordinator_handles_complaints_and_claims(tour: Tour) -> None:
    """FBK-2, FBK-3: koordynator's complaints queue (open first, overdue marked, filtered), an open complaint with
    its answer form and its errors, an answered one; the claims queue, an undecided claim and a decided one."""
    page = tour.page
    tour.login("koordynator")
    for language in LANGUAGES:
        tour.go("staff:complaints", language)
        tour.check(f"the complaints queue ({language})")
        assert page.locator("[data-urgency=overdue]").count(), "the demo has an overdue complaint"
        page.select_option("#urgency", "overdue")
        tour.submit("main form.filter-row")
        tour.check(f"the complaints queue, overdue only ({language})")
        tour.go("staff:complaints", language)
        page.locator("#complaints-queue tbody tr a").first.click()
        page.wait_for_load_state()
        tour.check(f"an open complaint ({language})")
        tour.submit("#answer-form")
        tour.check(f"an open complaint: the answer missing ({language})")
        tour.go(f"{url('staff:complaints', language)}?status=answered")
        page.locator("#complaints-queue tbody tr a").first.click()
        page.wait_for_load_state()
        tour.check(f"an answered complaint ({language})")
        tour.go("staff:claims", language)
        tour.check(f"the claims queue ({language})")
        page.locator("#claims-queue tbody tr a").first.click()
        page.wait_for_load_state()
        tour.check(f"an undecided claim ({language})")
        tour.go(f"{url('staff:claims', language)}?status=all")
        page.locator("#claims-queue tr[data-status=rejected] a").first.click()
        page.wait_for_load_state()
        tour.check(f"a decided claim ({language})")
    tour.done()


def test_the_call_centre_files_a_complaint_for_a_caller(tour: Tour, demo: dict[str, Any]) -> None:
    """FBK-2: infolinia opens the form from the caller's page; an empty form explains what is missing."""
    tour.login("infolinia")
    for language in LANGUAGES:
        tour.go("staff:complaint_new", language, patient_id=demo["patient"])
        tour.check(f"a complaint for the caller ({language})")
        tour.submit("#complaint-form")
        tour.check(f"a complaint for the caller: the subject missing ({language})")


@pytest.mark.parametrize("username", ["koordynator", "infolinia"])
def test_closures_and_the_calls_after_them(tour: Tour, username: str) -> None:
    """NET-3: the coordinator's closures (list, one closure with its figures and moved visits, the form with its
    errors); the call centre's list of moved patients who did not rebook within a day."""
    page = tour.page
    tour.login(username)
    for language in LANGUAGES:
        if username == "infolinia":
            tour.go("staff:closure_calls", language)
            tour.check(f"patients to call after a closure ({language})")
            assert page.locator("main [data-notice]").count(), "the demo's closure has patients to call"
            continue
        tour.go("staff:closures", language)
        tour.check(f"closures ({language})")
        link = page.locator("main tr[data-closure] a").first
        assert link.count(), "the demo has a closure"
        link.click()
        tour.check(f"a closure with its moved visits ({language})")
        tour.go("staff:closure_new", language)
        tour.check(f"close a facility ({language})")
        tour.submit()
        tour.check(f"close a facility: errors ({language})")


def test_pregnancy_care_in_the_consoles(tour: Tour, demo: dict[str, Any]) -> None:
    """BKG-7: the call centre's request form (empty and sent wrong), the coordinators' queue (open, every status,
    one city) and a request's page with the free times to resolve it."""
    page = tour.page
    tour.login("infolinia")
    for language in LANGUAGES:
        tour.go("staff:pregnancy_request_new", language, patient_id=demo["patient"])
        tour.check(f"pregnancy care elsewhere, the call centre's form ({language})")
        page.fill("#id_phone", "12")
        tour.submit()
        tour.check(f"pregnancy care elsewhere, sent wrong ({language})")
    page.context.clear_cookies()
    tour.login("koordynator")
    for language in LANGUAGES:
        tour.go("staff:pregnancy_requests", language)
        tour.check(f"pregnancy-care requests, open ({language})")
        link = page.locator("main a[href*='/pregnancy-requests/']")
        assert link.count(), f"the demo's queue has open pregnancy-care requests ({language})"
        link.first.click()
        page.wait_for_load_state()
        tour.check(f"a pregnancy-care request ({language})")
        tour.go("staff:pregnancy_requests", language)
        page.locator("#filter-status").select_option("all")
        page.locator("#filter-city").select_option(index=1)
        tour.submit("main form[role=search]")
        tour.check(f"pregnancy-care requests, every status in one city ({language})")


def test_the_employer_keeps_the_roster(tour: Tour) -> None:
    """PKG-8: kadry's roster, the upload form (sent empty, then with the demo's example file: the report with its
    errors), the report kept from the demo's build, and a coordinator choosing a contract's roster."""
    from carenet.demo.packages import EXAMPLE_FILE

    page = tour.page
    tour.login("kadry")
    for language in LANGUAGES:
        tour.go("staff:dashboard", language)
        tour.check(f"kadry's dashboard ({language})")
        tour.go("staff:roster", language)
        tour.check(f"the roster ({language})")
        tour.go("staff:roster_upload", language)
        tour.check(f"the roster upload form ({language})")
        tour.submit("main form.stack")
        tour.check(f"the roster upload sent empty ({language})")
        page.set_input_files("#id_file", str(EXAMPLE_FILE))
        tour.submit("main form.stack")
        tour.check(f"the report of the example roster file ({language})")
        report = page.locator("form button[name=apply]").first.get_attribute("value")
        assert report, "the report offers no Apply"
        tour.go("staff:roster_upload_report", language, upload_id=int(report))
        tour.check(f"the report again ({language})")


def test_the_coordinator_reads_the_network_figures(tour: Tour) -> None:
    """BEY-4: the coordinators' dashboard as it opens (the last 30 days), filtered to a city and the last 90 days,
    and with a period that ends before it starts (the error summary), in Polish and in English."""
    page = tour.page
    tour.login("koordynator")
    for language in LANGUAGES:
        tour.go("staff:dashboard_network", language)
        tour.check(f"network figures ({language})")
        assert page.locator("#figure-no_shows svg[role=img]").count(), "no no-show chart on the demo network"
        page.select_option("#id_period", "90")
        page.select_option("#id_city", index=1)
        tour.submit("main form#figures-filter")
        tour.check(f"network figures of a city, 90 days ({language})")
        assert page.locator("#id_facility option").count() > 1, "the city's facilities are not offered"
        page.select_option("#id_period", "dates")
        page.fill("#id_first_day", "2026-03-10")
        page.fill("#id_last_day", "2026-03-01")
        tour.submit("main form#figures-filter")
        tour.check(f"network figures, a period that ends before it starts ({language})")
        assert page.locator(".error-summary").count(), "no error summary for a wrong period"
    tour.done()


def _staff_pages() -> set[str]:
    names: set[str] = set()

    def walk(patterns: list[Any], namespace: str) -> None:
        for entry in patterns:
            if isinstance(entry, URLResolver):
                walk(entry.url_patterns, f"{namespace}{entry.namespace}:" if entry.namespace else namespace)
            elif isinstance(entry, URLPattern) and namespace == "staff:":
                names.add(f"staff:{entry.name}")

    walk(get_resolver().url_patterns, "")
    return names


def test_every_console_page_was_checked() -> None:
    """A console page added without a step in this tour fails here (run the whole module)."""
    pages = _staff_pages()
    assert pages, "no staff: URL found"
    assert not NOT_PAGES - pages, f"listed but gone: {sorted(NOT_PAGES - pages)}"
    missing = pages - NOT_PAGES - CHECKED
    assert not missing, f"console pages no tour step checked: {sorted(missing)}"

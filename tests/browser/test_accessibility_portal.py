"""Every page of the patient portal (and the developer SMS inbox the demo shows) as patients meet it, on the demo
network: empty (a person who has just registered), with data (lists and a detail page of each kind), with errors
(each form sent empty or wrong), after an action (a question sent, a file uploaded, an authorisation revoked, a
survey answered, two-step login turned on and off), level I and level II, for oneself and for a child — in Polish and
English, each state checked by axe-core (WCAG 2.2 A/AA) at 1280×800 and 390×844 and for sideways scroll at 390 and
320 px (BEY-5, issue 14).

The last test reads the URL resolver: a page of ``portal:`` that no step of this tour opened fails it, so a new page
cannot skip the sweep.

One browser context per login (a new context logs in once); the tour's database is built once per run. The demo
database is read (read-only, for a roster entry nobody has registered yet) and changed only through the pages — so
with ``CARENET_TOUR_REUSE=1`` delete ``var/tour`` before running the tour again (an authorisation revoked, a survey
answered stay so). ``CARENET_TOUR_ALL=1`` goes on after a failing page and lists every one at the end of its test.
The module runs in one process, in order (as ``make test-sqlite`` runs the browser tests): the coverage test reads
what the tests before it checked.
"""

from __future__ import annotations

import base64
import os
import re
import sqlite3
import time
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.urls import Resolver404, URLResolver, get_resolver, resolve
from django.utils import translation

from carenet.demo.people import PASSWORDS
from tests.browser.accessibility import DESKTOP, check_page
from tests.browser.demo_site import TOUR_DIR, DemoSite, url

pytestmark = [pytest.mark.browser]

LANGUAGES = ("pl", "en")
PASSWORD_RE = re.compile(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}")
#: What a step that changes the demo's data says when a reused tour database has had it changed already.
FRESH = "a reused tour database: delete var/tour"

#: The URL name of every page a step of the tour checked (``resolve(path).view_name``), for the coverage test.
CHECKED: set[str] = set()

#: Pages of ``portal:`` the tour does not open, and why. Everything else must be checked by a step above.
NOT_PAGES = {
    # POST-only actions: their answer is a redirect to a page checked here (or the page itself with its errors,
    # recorded under the page's own name when it renders).
    "portal:logout",
    "portal:identity_request",
    "portal:identity_bank_start",
    "portal:visit_files",
    "portal:visit_file_detach",
    "portal:visit_room",
    "portal:consultation_files",
    "portal:consultation_file_detach",
    "portal:consultation_survey",
    # File and PDF downloads: not HTML.
    "portal:ecard_pdf",
    "portal:claim_attachment",
    "portal:result_pdf",
    "portal:file_download",
    # The room socket's token endpoint (JSON for the room's script).
    "portal:consultation_token",
    # The booking pages: checked step by step in tests/browser/test_three_screens_journey.py (the logged-out home in
    # test_accessibility_public.py).
    "portal:home",
    "portal:search",
    "portal:book",
    "portal:reschedule",
    "portal:reschedule_confirm",
}


# --- The tour's steps ------------------------------------------------------------------------------------------


def view_name(address: str, language: str) -> str:
    """The URL name of a page's address (the paths are translated: resolved in the page's language)."""
    with translation.override(language):
        return resolve(urlsplit(address).path).view_name


def language_of(address: str) -> str:
    return "en" if urlsplit(address).path.startswith("/en/") else "pl"


#: ``CARENET_TOUR_ALL=1``: go on after a failing page and report every one at the end of its test (while fixing).
FAILURES: list[str] = []


def look(page: Any, label: str) -> None:
    """Check the page as it is now and record which page it was."""
    page.wait_for_load_state()
    CHECKED.add(view_name(page.url, language_of(page.url)))
    try:
        check_page(page, f"{label} [{urlsplit(page.url).path}]")
    except AssertionError as failure:
        if os.environ.get("CARENET_TOUR_ALL") != "1":
            raise
        FAILURES.append(str(failure))
        page.set_viewport_size(DESKTOP)


@pytest.fixture(autouse=True)
def _every_failure_reported() -> Any:
    FAILURES.clear()
    yield
    assert not FAILURES, "\n\n".join(FAILURES)


def visit(
    page: Any, site: DemoSite, name: str, label: str = "", *, query: str = "", status: int = 200, **kwargs: Any
) -> None:
    """Open a page in Polish and in English and check it in both (``status``: a level II page answers a level I
    patient 403 with the way to level II — a page they meet too)."""
    for language in LANGUAGES:
        response = page.goto(site.url + url(name, language, **kwargs) + query)
        assert response is not None and response.status == status, f"{name}: {response and response.status}"
        assert view_name(page.url, language) == name, f"{name} sent the browser to {page.url}"
        look(page, f"{label or name} ({language})")


def submit(page: Any, selector: str, label: str) -> None:
    """Send a form (its submit button) and check the page that answers — errors or the page after the action."""
    with page.expect_navigation():
        page.locator(selector).first.click()
    look(page, label)


def links_to(page: Any, name: str) -> list[dict[str, Any]]:
    """The ``kwargs`` of every link in the page's main part that leads to the page called ``name``."""
    language = language_of(page.url)
    found = []
    for href in page.locator("main a[href]").evaluate_all("links => links.map(a => a.getAttribute('href'))"):
        path = urlsplit(href).path
        if not path.startswith("/"):
            continue
        with translation.override(language):
            try:
                match = resolve(path)
            except Resolver404:  # a link outside the site's pages (the API document, a file)
                continue
        if match.view_name == name and match.kwargs not in found:
            found.append(match.kwargs)
    return found


def visit_link_of_mode(page: Any, site: DemoSite, mode: str) -> str:
    """The address of the first visit of that mode in "Moje wizyty", paging through the history when the planned
    visits and its first page have none (the consoles' tour may have added visits for the same patient)."""
    for number in range(1, 8):
        site.go(page, url("portal:visits", "en") + f"?page={number}")
        link = page.locator(f"li[data-mode={mode}] h3 a").first
        if link.count():
            return str(link.get_attribute("href"))
        if not page.locator("main .pagination a", has_text="Next").count():
            break
    raise AssertionError(f"no {mode} visit in pacjent2's visits")


def first_link(page: Any, name: str) -> dict[str, Any]:
    found = links_to(page, name)
    assert found, f"no link to {name} on {page.url}"
    return found[0]


def log_in(page: Any, site: DemoSite, username: str, password: str = PASSWORDS["patient"]) -> None:
    site.go(page, "portal:login")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()


def totp(secret: str, *, steps_ahead: int = 0) -> str:
    """The authenticator app's code for a secret key shown on the set-up page (``steps_ahead`` 30-second steps
    from now: the server accepts one step of drift, and each step once)."""
    from django_otp.oath import totp as oath_totp

    key = base64.b32decode(secret.replace(" ", "").upper())
    return f"{oath_totp(key, t0=-steps_ahead * 30):06d}"


def unregistered_roster_entry() -> tuple[str, str, str, str]:
    """First name, last name, PESEL and mobile of a person on a demo roster who has no portal account yet."""
    connection = sqlite3.connect(f"file:{TOUR_DIR / 'demo.sqlite3'}?mode=ro", uri=True)
    try:
        row = connection.execute(
            # Entitled today (ACC-7), still on the roster, and with a mobile no other patient has (ACC-8).
            """SELECT r.first_name, r.last_name, r.pesel, r.mobile FROM coverage_rosterentry r
               WHERE r.mobile != '' AND r.left_on IS NULL
                 AND r.activation_date <= date('now') AND r.paid_through >= date('now')
                 AND r.pesel NOT IN (SELECT p.pesel FROM accounts_patient p WHERE p.user_id IS NOT NULL)
                 AND NOT EXISTS (
                   SELECT 1 FROM accounts_patient p WHERE p.mobile != '' AND p.pesel != r.pesel
                     AND substr(p.mobile, -9) = substr(replace(r.mobile, ' ', ''), -9))
               ORDER BY r.id DESC LIMIT 1"""
        ).fetchone()
    finally:
        connection.close()
    assert row, "the demo has no roster entry left to register"
    return row


# --- The patients ----------------------------------------------------------------------------------------------


def test_a_new_patient_registers_and_meets_the_empty_portal(page: Any, demo_site: DemoSite) -> None:
    """Level I, nothing yet: registration (errors, then done), the first password read in the developer SMS inbox,
    the own password set, and every page as an empty account sees it — level II services say how to get there."""
    first_name, last_name, pesel, mobile = unregistered_roster_entry()
    visit(page, demo_site, "portal:facilities")
    visit(page, demo_site, "portal:login")
    login = f"nowy{pesel[-6:]}{int(time.time()) % 10000}"
    for language in LANGUAGES:
        demo_site.go(page, "portal:register", language)
        submit(page, "main form.stack button[type=submit]", f"registration sent empty ({language})")
    page.fill("input[name=first_name]", first_name)
    page.fill("input[name=last_name]", last_name)
    page.fill("input[name=pesel]", pesel)
    page.fill("input[name=email]", f"{login}@example.com")
    page.fill("input[name=mobile]", mobile)
    page.fill("input[name=login]", login)
    submit(page, "main form.stack button[type=submit]", "registered: the first password is on its way (en)")
    visit(page, demo_site, "portal:first_password")

    # The developer SMS inbox: the list, a conversation, a reply sent empty.
    visit(page, demo_site, "dev:sms_inbox")
    submit(page, "form[action*='send-now'] button", "SMS inbox after sending the queue (en)")
    digits = "".join(ch for ch in mobile if ch.isdigit())[-9:]
    phone = next(kw["phone"] for kw in links_to(page, "dev:sms_conversation") if kw["phone"].endswith(digits))
    visit(page, demo_site, "dev:sms_conversation", phone=phone)
    found = PASSWORD_RE.search(page.locator("main").inner_text())
    assert found, "no first password in the SMS conversation"
    submit(page, "section[aria-labelledby=reply-heading] form button", "SMS reply sent empty (en)")

    log_in(page, demo_site, login, found.group(0))
    look(page, "set your own password")
    page.fill("input[name=new_password1]", "jedno-haslo-2026")
    page.fill("input[name=new_password2]", "inne-haslo-2026")
    submit(page, "main form button[type=submit]", "set password: the two do not match")
    page.fill("input[name=new_password1]", "moje-nowe-haslo-2026")
    page.fill("input[name=new_password2]", "moje-nowe-haslo-2026")
    submit(page, "main form button[type=submit]", "password set: my visits, empty")

    for name in ("portal:visits", "portal:account", "portal:identity", "portal:treatment"):
        visit(page, demo_site, name, f"{name}, a new level I account")
    # Level II services tell a level I patient how to get there.
    for name in (
        "portal:ecard",
        "portal:results",
        "portal:files",
        "portal:consultations",
        "portal:questions",
        "portal:reads_of_my_data",
    ):
        visit(page, demo_site, name, f"{name}, level I", status=403)
    for language in LANGUAGES:
        demo_site.go(page, "portal:identity", language)
        request_form = f"form[action='{url('portal:identity_request', language)}']"
        submit(page, f"{request_form} button[type=submit]", f"identity request sent empty ({language})")
        # Back from the bank, cancelled there: the identity page says nothing changed.
        demo_site.go(page, url("portal:identity_bank_callback", language) + "?error=access_denied")
        CHECKED.add("portal:identity_bank_callback")
        look(page, f"back from the bank, cancelled ({language})")


def test_level_one_patient_with_visits(page: Any, demo_site: DemoSite) -> None:
    """pacjent1 (level I): planned visits, the history held back until identity is confirmed, a visit page."""
    demo_site.login_patient(page, "pacjent1")
    visit(page, demo_site, "portal:visits", "my visits, level I")
    visit(page, demo_site, "portal:visit", "a visit, level I", **first_link(page, "portal:visit"))
    visit(page, demo_site, "portal:prescriptions", "medicines, level I", status=403)
    visit(page, demo_site, "portal:renewal_order", "renewal order, level I", status=403)


def test_level_two_patient_with_data(page: Any, demo_site: DemoSite) -> None:
    """pacjent2 (level II, with everything the demo has): lists, a page of each kind, errors, and after actions."""
    demo_site.login_patient(page, "pacjent2")
    visit(page, demo_site, "portal:visits", "my visits")
    for mode in ("in_person", "phone", "video"):  # a remote visit shows no clinic address
        href = visit_link_of_mode(page, demo_site, mode)
        with translation.override("en"):
            kwargs = resolve(urlsplit(href).path).kwargs
        visit(page, demo_site, "portal:visit", f"a visit ({mode})", **kwargs)
        demo_site.go(page, "portal:visits", "en")
    demo_site.go(page, "portal:visits")
    visit(page, demo_site, "portal:cancel", "cancel a visit: the question", **first_link(page, "portal:cancel"))
    for language in LANGUAGES:
        demo_site.go(page, "portal:visits", language)
        assert page.locator("main .pagination a").count(), "pacjent2's history has more than one page"
        with page.expect_navigation():
            page.locator("main .pagination a").last.click()
        look(page, f"my visits, an older page ({language})")

    visit(page, demo_site, "portal:results")
    for kwargs in links_to(page, "portal:result")[:2]:
        visit(page, demo_site, "portal:result", "a result", **kwargs)
    demo_site.go(page, "portal:results")
    results = links_to(page, "portal:result")
    demo_site.go(page, "portal:result", **results[-1])
    histories = links_to(page, "portal:analyte_history")
    assert histories, "a lipid panel links to its values' history"
    visit(page, demo_site, "portal:analyte_history", "an analyte's history", **histories[0])

    for name in (
        "portal:treatment",
        "portal:referrals",
        "portal:prescriptions",
        "portal:recommendations",
        "portal:sick_leaves",
        "portal:renewal_order",
        "portal:collection_authorisations",
        "portal:reads_of_my_data",
        "portal:ecard",
        "portal:account",
        "portal:files",
        "portal:questions",
        "portal:consultations",
        "portal:checkin",
    ):
        visit(page, demo_site, name)

    # Errors: each form sent empty or wrong.
    for language in LANGUAGES:
        demo_site.go(page, "portal:account", language)
        password_form = f"form[action='{url('portal:password_change', language)}']"
        submit(page, f"{password_form} button[type=submit]", f"password change sent empty ({language})")
        demo_site.go(page, "portal:checkin", language)
        submit(page, "main form.stack button[type=submit]", f"check-in sent empty ({language})")
        demo_site.go(page, "portal:files", language)
        submit(page, "#upload-form button[type=submit]", f"upload sent empty ({language})")
        demo_site.go(page, "portal:renewal_order", language)
        if page.locator("main form.stack button[type=submit]").count():
            page.locator("main form.stack textarea").first.fill("\x07")
            submit(page, "main form.stack button[type=submit]", f"renewal order with a control character ({language})")
        demo_site.go(page, "portal:two_factor_enable", language)
        look(page, f"two-step login set-up ({language})")
        submit(page, "#two-factor-enable button[type=submit]", f"two-step login code sent empty ({language})")

    # After actions: a file uploaded, a question sent, an authorisation revoked, a consultation started and left.
    demo_site.go(page, "portal:files", "en")
    page.set_input_files("#upload-form input[type=file]", files=[
        {"name": "skan-skierowania.pdf", "mimeType": "application/pdf", "buffer": MINIMAL_PDF}
    ])  # fmt: skip
    page.fill("#upload-form input[name=description]", "Skan skierowania od lekarza rodzinnego")
    if page.locator("#upload-form input[type=checkbox]").count():
        page.check("#upload-form input[type=checkbox]")
    submit(page, "#upload-form button[type=submit]", "a file uploaded (en)")
    delete = first_link(page, "portal:file_delete")
    visit(page, demo_site, "portal:file_delete", "delete a file: the question", **delete)

    demo_site.go(page, "portal:questions")
    if page.locator("form.ask-form").count():
        page.locator("form.ask-form textarea").first.fill("   ")  # past the browser's "required": blank
        submit(page, "form.ask-form button[type=submit]", "a question sent blank (pl)")
        page.locator("form.ask-form textarea").first.fill("Czy wynik wymaga kontroli za miesiąc?")
        submit(page, "form.ask-form button[type=submit]", "a question sent (pl)")

    demo_site.go(page, "portal:collection_authorisations")
    revokes = links_to(page, "portal:collection_authorisation_revoke")
    assert revokes, f"pacjent2 has an authorisation to revoke ({FRESH})"
    visit(page, demo_site, "portal:collection_authorisation_revoke", "revoke: the question", **revokes[0])
    submit(page, "main form button[type=submit]", "an authorisation revoked (en)")

    visit(page, demo_site, "portal:consultation_start", "start an online consultation", query="?line=interna")
    submit(page, "#start-form button[type=submit]", "a consultation sent without its form (en)")
    page.locator("#start-form input[name=mode]").first.check()
    submit(page, "#start-form button[type=submit]", "a consultation started: waiting (en)")
    consultation = resolve_current(page)
    visit(page, demo_site, "portal:consultation", "waiting in the queue", **consultation)
    visit(page, demo_site, "portal:consultation_leave", "leave the queue: the question", **consultation)
    submit(page, "main form button[type=submit]", "left the queue (en)")
    demo_site.go(page, "portal:consultations")
    for kwargs in links_to(page, "portal:consultation")[:3]:
        visit(page, demo_site, "portal:consultation", "an ended consultation", **kwargs)


def resolve_current(page: Any) -> dict[str, Any]:
    language = language_of(page.url)
    with translation.override(language):
        return dict(resolve(urlsplit(page.url).path).kwargs)


def test_guardian_sees_the_children(page: Any, demo_site: DemoSite) -> None:
    """rodzic: visits of the family, a child's results and files, and the child's ended consultation with its
    survey (sent empty, then answered)."""
    demo_site.login_patient(page, "rodzic")
    visit(page, demo_site, "portal:visits", "my visits, with the children")
    demo_site.go(page, "portal:results")
    options = page.locator("#who option").evaluate_all("options => options.map(o => o.value)")
    child = options[-1]
    for name in ("portal:results", "portal:files", "portal:treatment", "portal:referrals", "portal:visits"):
        visit(page, demo_site, name, f"{name} of a child", query=f"?who={child}")
    demo_site.go(page, "portal:consultations")
    consultations = links_to(page, "portal:consultation")
    assert consultations
    for kwargs in consultations:
        demo_site.go(page, "portal:consultation", **kwargs)
        if page.locator("#survey-form").count():
            visit(page, demo_site, "portal:consultation", "an ended consultation, the survey open", **kwargs)
            submit(page, "#survey-form button[type=submit]", "the survey sent empty (pl)")
            page.check("#survey-form input[name=rating][value='5']")
            page.check("#survey-form input[name=resolved]")
            submit(page, "#survey-form button[type=submit]", "the survey answered (pl)")
            break
    else:
        pytest.fail(f"no ended consultation with its survey open ({FRESH})")


def test_a_package_patient_turns_two_step_login_on_and_off(page: Any, demo_site: DemoSite) -> None:
    """pakiet-podstawowy (level II, no documents, results or files): the empty lists; two-step login turned on,
    the login's code step (a wrong code, then the right one), and turned off again (errors first)."""
    demo_site.login_patient(page, "pakiet-podstawowy")
    demo_site.go(page, "portal:two_factor_enable", "en")
    secret = page.locator("#totp-secret").inner_text()
    page.fill("#id_code", totp(secret))
    submit(page, "#two-factor-enable button[type=submit]", "two-step login turned on (en)")
    visit(page, demo_site, "portal:account", "my account, two-step login on")
    submit(page, "#two-factor-disable button[type=submit]", "turning it off, sent empty (en)")

    page.locator("form[action$='/logout/'] button").first.click()
    page.wait_for_load_state()
    log_in(page, demo_site, "pakiet-podstawowy")
    look(page, "the login's code step (pl)")
    demo_site.go(page, "portal:login_code", "en")
    look(page, "the login's code step (en)")
    page.fill("#id_code", "000000")
    submit(page, "#two-factor-verify button[type=submit]", "a wrong code (en)")
    time.sleep(2)  # a wrong code holds the next try back for a second (django-otp's throttling)
    page.fill("#id_code", totp(secret, steps_ahead=1))
    submit(page, "#two-factor-verify button[type=submit]", "logged in with the code (en)")

    for name in (
        "portal:results",
        "portal:treatment",
        "portal:referrals",
        "portal:prescriptions",
        "portal:recommendations",
        "portal:sick_leaves",
        "portal:files",
        "portal:questions",
        "portal:collection_authorisations",
        "portal:renewal_order",
        "portal:consultations",
    ):
        visit(page, demo_site, name, f"{name}, empty")

    demo_site.go(page, "portal:account", "en")
    page.fill("#two-factor-disable input[type=password]", PASSWORDS["patient"])
    page.fill("#two-factor-disable input[name=code]", _fresh(secret))
    submit(page, "#two-factor-disable button[type=submit]", "two-step login turned off (en)")
    assert page.locator("#two-factor-disable").count() == 0


def _fresh(secret: str) -> str:
    """A code of a step later than the one the login used: the step after next is within the allowed drift once
    the clock has moved one step on, so wait for that."""
    started = int(time.time()) // 30
    while int(time.time()) // 30 == started:
        time.sleep(0.5)
    return totp(secret, steps_ahead=1)


def test_a_patient_rates_a_visit_and_the_network(page: Any, demo_site: DemoSite) -> None:
    """FBK-1: pacjent2 finds "Oceń wizytę" on the dashboard (the demo's visit of two days ago), meets the form, its
    errors and the thanks; "Oceń nas" the same way."""
    demo_site.login_patient(page, "pacjent2")
    demo_site.go(page, "portal:home")
    to_rate = links_to(page, "portal:visit_rate")
    assert to_rate, "the demo leaves pacjent2 a visit to rate"
    visit(page, demo_site, "portal:visit_rate", "rate a visit: the form", **to_rate[0])
    if page.locator("#rating-form").count():
        submit(page, "#rating-form button[type=submit]", "rate a visit: sent empty (en)")
        page.locator("#id_score_3").check()
        page.fill("#id_comment", "Wszystko jasno wyjaśnione.")
        submit(page, "#rating-form button[type=submit]", "rate a visit: thanks (en)")
        assert page.locator("#rating-given").count(), "the rating is shown after sending"
    visit(page, demo_site, "portal:rate_us", "rate us: the form")
    if page.locator("#rate-us-form").count():
        submit(page, "#rate-us-form button[type=submit]", "rate us: sent empty (en)")
        page.locator("#id_score_4").check()
        submit(page, "#rate-us-form button[type=submit]", "rate us: thanks (en)")
        assert page.locator("#rated-recently").count(), FRESH


def test_complaints_and_claims(page: Any, demo_site: DemoSite) -> None:
    """FBK-2, FBK-3: pacjent2's complaints (answered, being handled) and claims (accepted, submitted), the forms and
    their errors."""
    demo_site.login_patient(page, "pacjent2")
    visit(page, demo_site, "portal:complaints", "complaints")
    for kwargs in links_to(page, "portal:complaint")[:2]:
        visit(page, demo_site, "portal:complaint", "a complaint", **kwargs)
    visit(page, demo_site, "portal:complaint_new", "file a complaint")
    for language in LANGUAGES:
        demo_site.go(page, "portal:complaint_new", language)
        submit(page, "#complaint-form button[type=submit]", f"file a complaint: nothing written ({language})")
    visit(page, demo_site, "portal:claims", "insurance claims")
    for kwargs in links_to(page, "portal:claim")[:2]:
        visit(page, demo_site, "portal:claim", "a claim", **kwargs)
    visit(page, demo_site, "portal:claim_new", "submit a claim")
    for language in LANGUAGES:
        demo_site.go(page, "portal:claim_new", language)
        submit(page, "#claim-form button[type=submit]", f"submit a claim: nothing attached ({language})")


def test_contact_data_and_consents(page: Any, demo_site: DemoSite) -> None:
    """ACC-8: pacjent2's "Twoje dane" and "Twoje zgody" with their histories, the code page with nothing waiting, a
    refused form, a new (foreign) number waiting for its code, and a wrong code."""
    demo_site.login_patient(page, "pacjent2")
    visit(page, demo_site, "portal:contact_data", "your data with its history")
    assert page.locator("#contact-history tbody tr[data-field]").count() >= 3, FRESH
    visit(page, demo_site, "portal:consents", "your consents with their history")
    assert page.locator("#consent-history tbody tr[data-kind]").count() >= 4, FRESH
    visit(page, demo_site, "portal:contact_data_phone_confirm", "the code page, nothing waiting")
    for language in LANGUAGES:
        demo_site.go(page, "portal:contact_data", language)
        page.fill("#id_postcode", "0095")
        page.fill("#id_email", "nie-adres")
        submit(page, "#contact-form button[type=submit]", f"your data, refused ({language})")
        assert page.locator(".error-summary, [role=alert]").count(), "the refusal says why"
    demo_site.go(page, "portal:contact_data", "en")
    page.fill("#id_mobile", f"+49 1512 {int(time.time()) % 10_000_000:07d}")
    submit(page, "#contact-form button[type=submit]", "a new number: the code was sent (en)")
    assert view_name(page.url, "en") == "portal:contact_data_phone_confirm", FRESH
    visit(page, demo_site, "portal:contact_data_phone_confirm", "the code page, a number waiting")
    page.fill("#id_code", "12")
    submit(page, "#phone-code-form button[type=submit]", "a wrong code (pl)")


def test_a_patient_moved_by_a_closure_sees_the_alternatives(page: Any, demo_site: DemoSite) -> None:
    """NET-3: pacjent2's visit was cancelled because the centre closed; "Moje wizyty" links to the alternatives
    (nearest open centres and telemedicine, each one tap to rebook)."""
    demo_site.login_patient(page, "pacjent2")
    demo_site.go(page, "portal:visits")
    notice = first_link(page, "portal:closure_alternatives")
    visit(page, demo_site, "portal:closure_alternatives", "a visit cancelled by a closure", **notice)
    assert page.locator("main form button[type=submit]").count(), "the alternatives offer times to book"


def test_pregnancy_care_page(page: Any, demo_site: DemoSite) -> None:
    """BKG-7: "Opieka w ciąży" — where the pregnancy is led, the request form, and the form sent wrong."""
    demo_site.login_patient(page, "pacjent2")
    visit(page, demo_site, "portal:pregnancy_request", "pregnancy care")
    for language in LANGUAGES:
        demo_site.go(page, "portal:pregnancy_request", language)
        if page.locator("#id_phone").count():
            page.fill("#id_phone", "12")
            submit(page, "#pregnancy-request-form button[type=submit]", f"pregnancy care, sent wrong ({language})")


def test_the_package_of_a_patient_and_of_a_child(page: Any, demo_site: DemoSite) -> None:
    """PKG-7: "Twój pakiet medyczny" of pacjent2, and rodzic switching to a child's package."""
    demo_site.login_patient(page, "pacjent2")
    visit(page, demo_site, "portal:package", "pacjent2's package")
    page.context.clear_cookies()
    demo_site.login_patient(page, "rodzic")
    demo_site.go(page, "portal:package")
    options = page.locator("#for option").evaluate_all("options => options.map(o => o.value)")
    assert len(options) > 1, "rodzic acts for no child"
    visit(page, demo_site, "portal:package", "a child's package", query=f"?for={options[-1]}")


def test_every_portal_page_was_checked() -> None:
    """A page of ``portal:`` (from the URL resolver) that no step above opened fails here, so a new page gets a
    step of its own (or a line in NOT_PAGES saying why not)."""
    resolver = get_resolver()
    portal = resolver.namespace_dict["portal"][1]
    names = {f"portal:{name}" for name in portal.reverse_dict if isinstance(name, str)}
    assert not isinstance(portal, URLResolver) or names
    missing = sorted(names - CHECKED - NOT_PAGES)
    assert not missing, f"portal pages no step of the tour checked: {missing}"
    assert {"dev:sms_inbox", "dev:sms_conversation"} <= CHECKED


MINIMAL_PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj 2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj "
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 200 200]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)

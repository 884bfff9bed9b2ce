"""English complete (BEY-5, issue 14): every page any member of the cast can reach, asked for in English, says
nothing in Polish — except the data that is legitimately Polish (people's names, addresses, cities, facility names,
what patients and clinicians wrote): the cast's own values are taken out of the page before it is read.

The pages are the authorization matrix's (every URL of CareNet × every role), asked for under ``/en/``; what is read
is what a person sees or hears: the text outside ``lang="pl"`` elements (the language selector's "Polski"), and the
``title``, ``aria-label``, ``placeholder``, ``alt`` and button ``value`` attributes. A Polish letter, a common
Polish word, a Polish catalogue name whose English twin exists, or an SMS answer (TAK, NIE) not explained in
English fails the test. The opposite holds too: the same pages in Polish still speak Polish.
"""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.db import connection, models, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from carenet.complaints.tests.factories import cases_of
from carenet.consultations.models import Line
from carenet.core import clock
from carenet.coverage.models import Contract, Tier
from carenet.network.models import Facility, Language, Service, Specialty
from tests.cast import (
    ROLES,
    Cast,
    build_cast,
    with_closure,
    with_collection,
    with_consultation,
    with_files,
    with_pregnancy,
    with_renewals,
    with_results,
)
from tests.test_authorization_matrix import MATRIX, METHODS, kwargs_for, query_for

pytestmark = pytest.mark.django_db

#: Letters only Polish uses (the cast's names that carry them are taken out first).
POLISH_LETTERS = re.compile("[ąćęłńśźżĄĆĘŁŃŚŹŻ]|ó")
#: Words of Polish that no English sentence uses: the portal's own vocabulary, everyday words, months and days.
POLISH_WORDS = frozenset(
    re.findall(
        r"\S+",
        """
    wizyta wizyty wizytę wizyt wizycie pacjent pacjenta pacjentka pacjenci lekarz lekarza lekarze lekarzem umów umow
    tak nie zaloguj wyloguj zalogowany logowanie konto konta hasło haslo szukaj wyszukaj wyniki wynik skierowanie
    skierowania recepta recepty zwolnienie zwolnienia pakiet pakietu pakiety świadczenie konsultacja konsultacje
    konsultacji badanie badania godzina godziny dzień dni jutro dzisiaj dziś brak oraz lub jest są się dla przez
    pani proszę dziękujemy dziękuję zapisz zapisano anuluj anulowano odwołaj odwołana potwierdź potwierdzono wróć
    dalej wstecz strona następna poprzednia wszystkie wszystko placówka placówki poradnia przychodnia specjalność
    usługa usługi cena bezpłatnie płatna termin terminy wolne wolny zajęty pokój gabinet rejestracja recepcja
    infolinia koordynator lekarski pielęgniarka telefon telefoniczna telefonicznie wideo stacjonarnie
    pytanie pytania odpowiedź plik pliki dokument dokumenty zmień zmiana język polski angielski uwaga błąd
    wymagane nieprawidłowy nieprawidłowa brakuje jeszcze teraz już kiedy gdzie który która które jak czy
    stycznia lutego marca kwietnia maja czerwca lipca sierpnia września października listopada grudnia
    styczeń luty marzec kwiecień czerwiec lipiec sierpień wrzesień październik listopad grudzień
    poniedziałek wtorek środa czwartek piątek sobota niedziela pon śr czw ndz
    """,
    )
)
#: An SMS answer explained in English: 'reply TAK (yes)', '"NIE" (no)'. Anything else with TAK or NIE fails.
EXPLAINED_ANSWER = re.compile(r"[\"“„']?\b(TAK|NIE)\b[\"”']?\s*\((?:yes|no)\b[^)]*\)")

#: Attributes a person reads or hears.
SPOKEN_ATTRIBUTES = ("title", "aria-label", "placeholder", "alt")
VOID = frozenset(("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"))


class VisibleText(HTMLParser):
    """The page's text a person meets, without the elements in another language (``lang="pl"`` on an English
    page: the language selector's "Polski") and what they contain."""

    def __init__(self, language: str) -> None:
        super().__init__(convert_charrefs=True)
        self.language = language
        self.parts: list[str] = []
        self.stack: list[tuple[str, bool]] = []  # (tag, inside an element in another language)

    @property
    def foreign(self) -> bool:
        return bool(self.stack) and self.stack[-1][1]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        lang = (values.get("lang") or self.language).lower()
        polish = self.foreign or not lang.startswith(self.language)
        if not polish:
            self.parts.extend(str(values[name]) for name in SPOKEN_ATTRIBUTES if values.get(name))
            if tag in {"input", "button"} and values.get("type") in {"submit", "button", "reset"}:
                self.parts.append(str(values.get("value") or ""))
        if tag not in VOID:
            self.stack.append((tag, polish))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag: str) -> None:
        # Optional end tags (</li>, </p>) may be missing: close up to the matching element.
        for index in range(len(self.stack) - 1, -1, -1):
            if self.stack[index][0] == tag:
                del self.stack[index:]
                return

    def handle_data(self, data: str) -> None:
        if not self.foreign and data.strip():
            self.parts.append(data)


def visible_text(html: str, language: str = "en") -> str:
    parser = VisibleText(language)
    parser.feed(html)
    parser.close()
    return "\n".join(parser.parts)


def _catalogue_pairs() -> list[tuple[models.Field[Any, Any], models.Field[Any, Any]]]:
    """Every (Polish, English) pair of text fields: ``name`` and ``name_en``, ``scope`` and ``scope_en``, …"""
    pairs = []
    for model in apps.get_models():
        fields = {field.name: field for field in model._meta.concrete_fields}
        pairs.extend(
            (fields[name[:-3]], field) for name, field in fields.items() if name.endswith("_en") and name[:-3] in fields
        )
    return pairs


def _data_values() -> tuple[list[str], list[str]]:
    """(the cast's text values, longest first — legitimately Polish data; the Polish twins of catalogue names)."""
    paired = {(field.model, field.name) for pair in _catalogue_pairs() for field in pair}
    values: set[str] = set()
    for model in apps.get_models():
        if not model._meta.managed or model._meta.proxy:
            continue
        text_fields = [
            field.name
            for field in model._meta.concrete_fields
            if isinstance(field, models.CharField | models.TextField)
            and not field.choices
            and (field.model, field.name) not in paired
        ]
        if text_fields:
            for row in model.objects.values_list(*text_fields):
                values.update(value.strip() for value in row if isinstance(value, str) and len(value.strip()) >= 3)
    twins: set[str] = set()
    for polish, english in _catalogue_pairs():
        for pl, en in polish.model.objects.values_list(polish.name, english.name):
            if pl and en and pl.strip() != en.strip():
                twins.add(pl.strip())
    return sorted(values, key=len, reverse=True), sorted(twins, key=len, reverse=True)


@pytest.fixture
def cast(db: None) -> Cast:
    """The authorization matrix's cast: every page of every role has something to show."""
    cast = with_pregnancy(with_consultation(with_files(with_collection(with_results(with_renewals(build_cast()))))))
    cases_of(cast.patient, filed_at=clock.now() - dt.timedelta(days=2))  # FBK-2, FBK-3: Anna's complaint and claim
    return with_closure(cast)


def give_the_catalogue_english_names(cast: Cast) -> None:
    """What the demo builder and the coverage matrix give every catalogue entry: its English name."""
    english = {
        "interna": ("Internal medicine", "Internist"),
        "psychiatria": ("Psychiatry", "Psychiatrist"),
    }
    for specialty in Specialty.objects.all():
        name_en, patient_name_en = english.get(specialty.code, (f"Specialty {specialty.pk}", ""))
        Specialty.objects.filter(pk=specialty.pk).update(name_en=name_en, patient_name_en=patient_name_en)
    for service in Service.objects.select_related("specialty"):
        Service.objects.filter(pk=service.pk).update(name_en=f"Consultation {service.pk}")
    Service.objects.filter(code="konsultacja-interna").update(name_en="Internist consultation")
    Service.objects.filter(code="konsultacja-psychiatry").update(name_en="Psychiatrist consultation")
    for tier in Tier.objects.all():
        Tier.objects.filter(pk=tier.pk).update(name_en=f"Package {tier.pk}")
    Facility.objects.filter(kind=Facility.Kind.PARTNER).update(
        scope="Badania laboratoryjne", scope_en="Laboratory tests"
    )
    for contract in Contract.objects.all():  # the partner is in the search results (NET-2)
        contract.partner_facilities.add(cast.partner)
    Language.objects.filter(name_en="").update(name_en="Some language")
    Line.objects.filter(name_en="").update(name_en="Some line")


def english_url(name: str, cast: Cast) -> str:
    with translation.override("en"):
        return reverse(name, kwargs=kwargs_for(name, cast))


def polish_left(text: str, data: list[str], twins: list[str]) -> list[str]:
    """What is Polish in ``text`` once the cast's data is taken out."""
    found = [f"Polish catalogue name {twin!r}" for twin in twins if re.search(rf"(?<!\w){re.escape(twin)}(?!\w)", text)]
    if data:  # whole values only: the room "12" stays in "12.2026", the name "Ewa" in "Ewaluacja"
        text = re.sub("|".join(rf"(?<!\w){re.escape(value)}(?!\w)" for value in data), " ", text)
    text = EXPLAINED_ANSWER.sub(" ", text)
    for line in text.splitlines():
        words = re.findall(r"\w+", line)
        polish = [word for word in words if word.lower() in POLISH_WORDS]
        if POLISH_LETTERS.search(line) or polish:
            found.append(line.strip()[:160])
    return found


#: Pages that are not CareNet's: the API's Swagger UI (its own English) and the test bank standing in for a real
#: bank (ACC-5), which speaks the bank's language; the language switch takes a POST (see its own test).
NOT_OURS = {"api:openapi-view", "set_language"}
GET_PAGES = sorted(
    name
    for name in MATRIX
    if METHODS.get(name, "get") == "get" and name not in NOT_OURS and not name.startswith("testbank:")
)


def search_query(cast: Cast) -> dict[str, Any]:
    """A search that finds the cast's free slot (and the partner facility beside it): the results state."""
    day = clock.local(cast.free_slot.starts_at).date()
    return {
        "specialty": cast.consult.specialty.code,
        "city": cast.here.city_id,
        "date_from": day.isoformat(),
        "date_to": (day + dt.timedelta(days=1)).isoformat(),
    }


def _pages(cast: Cast, role: str, language: str, *, method: str = "get") -> list[tuple[str, int, str]]:
    """(name, status, html or where it redirects) of every page ``role`` gets in ``language``: with a GET (and the
    search with results), or with an empty POST (a form's errors, or where the form leads)."""
    client = cast.client(role)
    client.cookies["django_language"] = language
    asks: list[tuple[str, dict[str, Any]]] = [(name, query_for(name, cast)) for name in GET_PAGES]
    if method == "get":
        asks += [("portal:search", search_query(cast)), ("staff:patient_search", search_query(cast))]
    else:
        asks = [(name, {}) for name in sorted(MATRIX) if name not in NOT_OURS and not name.startswith("testbank:")]
    session = client.cookies.get(settings.SESSION_COOKIE_NAME)
    pages = []
    for name, query in asks:
        with translation.override(language):
            url = reverse(name, kwargs=kwargs_for(name, cast))
        with transaction.atomic():
            answer = getattr(client, method)(url, query, HTTP_ACCEPT_LANGUAGE=language)
            transaction.set_rollback(True)
        if session is not None:  # a logout's new session is rolled back: the next request is logged in again
            client.cookies[settings.SESSION_COOKIE_NAME] = session.value
        if query and name in GET_PAGES and query != query_for(name, cast):
            name = f"{name} (results)"
        if answer.status_code in (301, 302, 303):
            pages.append((name, answer.status_code, answer["Location"]))
        elif (
            not answer.streaming and answer.content and answer.get("Content-Type", "").startswith("text/html")
        ):  # refusals are pages too
            pages.append((name, answer.status_code, answer.content.decode()))
    return pages


#: Addresses outside the language-prefixed pages: the API, the SMS gateway's webhooks, the test bank, the language
#: switch itself (each answers in the caller's language or none).
UNPREFIXED = ("/api/", "/sms/webhook/", "/dev-bank/", "/i18n/", "/static/", "/media/")


def _leaves_english(location: str) -> bool:
    """A redirect of an English page that lands on a Polish one (an address without /en/)."""
    parts = urlsplit(location)
    if parts.netloc and parts.netloc != "testserver":
        return False  # another site (the bank)
    return not parts.path.startswith("/en/") and not parts.path.startswith(UNPREFIXED)


@pytest.mark.parametrize("role", ROLES)
def test_no_polish_is_left_on_an_english_page(role: str, cast: Cast) -> None:
    give_the_catalogue_english_names(cast)
    pages = _pages(cast, role, "en")
    assert pages, role
    assert_english(pages)
    if role in {"patient", "receptionist_here"}:  # the results state was met: a slot (and a partner), in English
        name = "portal:search (results)" if role == "patient" else "staff:patient_search (results)"
        results = visible_text(next(html for page, _status, html in pages if page == name))
        assert "Internist consultation" in results, results
        assert role != "patient" or "Laboratory tests" in results, results  # (a desk searches its own centre)


@pytest.mark.parametrize("role", ["anonymous", "patient", "guardian", "receptionist_here", "clinician_with", "admin"])
def test_a_form_sent_empty_answers_in_english(role: str, cast: Cast) -> None:
    """Every address posted an empty form: its errors are English, and where it leads is an English page."""
    give_the_catalogue_english_names(cast)
    assert_english(_pages(cast, role, "en", method="post"))


def assert_english(pages: list[tuple[str, int, str]]) -> None:
    data, twins = _data_values()
    problems = {}
    for name, status, html in pages:
        if status in (301, 302, 303):
            if _leaves_english(html):
                problems[f"{name} ({status})"] = [f"redirects to a Polish page: {html}"]
            continue
        left = polish_left(visible_text(html), data, twins)
        if "<html" in html and '<html lang="en"' not in html:  # (a fragment for HTMX has no <html>)
            left.insert(0, "not an English page")
        if left:
            problems[f"{name} ({status})"] = left
    assert not problems, "\n".join(f"{name}: {lines}" for name, lines in problems.items())


@pytest.mark.parametrize("role", ["anonymous", "patient", "receptionist_here", "clinician_with"])
def test_a_polish_page_still_speaks_polish(role: str, cast: Cast) -> None:
    """The opposite sanity: the same pages in Polish (no data taken out) are Polish, and name the catalogue in
    Polish."""
    give_the_catalogue_english_names(cast)
    pages = _pages(cast, role, "pl")
    assert pages
    for name, status, html in pages:
        if status in (301, 302, 303):
            assert not urlsplit(html).path.startswith("/en/"), (name, html)
            continue
        assert "<html" not in html or '<html lang="pl"' in html, name
        text = visible_text(html, "pl")
        assert polish_left(text, [], []), f"{name} shows no Polish at all"


@pytest.mark.parametrize(
    ("role", "name", "results"),
    [
        ("patient", "portal:visits", False),
        ("patient", "portal:search", True),
        ("patient", "portal:consultations", False),
        ("receptionist_here", "staff:reception", False),
        ("receptionist_here", "staff:patient", False),
        ("clinician_with", "staff:clinician_visit", False),
    ],
)
def test_english_names_cost_no_query(role: str, name: str, results: bool, cast: Cast) -> None:
    """The English names come with the rows already read: a page in English asks the database no more than in
    Polish (no query per row)."""
    give_the_catalogue_english_names(cast)
    client = cast.client(role)
    query = search_query(cast) if results else query_for(name, cast)
    counts = {}
    for language in ("pl", "en"):
        with translation.override(language):
            url = reverse(name, kwargs=kwargs_for(name, cast))
        client.get(url, query)  # warm: sessions, caches
        with CaptureQueriesContext(connection) as queries:
            answer = client.get(url, query)
        assert answer.status_code == 200, (language, answer.status_code)
        counts[language] = len(queries)
    assert counts["en"] == counts["pl"], counts

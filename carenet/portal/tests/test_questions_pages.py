""" "Zapytaj lekarza" in the portal (CLN-4, ACC-4): the completed visits of the family, asking, the answer, the
refusals (nothing stored), and the read record."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from carenet.accounts.models import PatientRead
from carenet.booking.models import Appointment
from carenet.core import clock
from carenet.questions.models import Question
from carenet.questions.services import question_answer
from carenet.questions.tests.factories import actor_of, clinician, completed_visit
from tests.cast import Cast

pytestmark = pytest.mark.django_db

URL = "/zapytaj-lekarza/"


def days_ago(days: int) -> dt.datetime:
    return clock.at_warsaw(clock.today() - dt.timedelta(days=days), dt.time(9))


def visit_of(cast: Cast, patient: Any = None, days: int = 3, **fields: Any) -> Appointment:
    return completed_visit(
        patient=patient or cast.patient,
        clinician=cast.clinician_with,
        facility=cast.here,
        service=cast.consult,
        starts_at=days_ago(days),
        **fields,
    )


def test_the_address_is_polish_and_english(cast: Cast) -> None:
    assert reverse("portal:questions") == URL
    with translation.override("en"):
        assert reverse("portal:questions") == "/en/ask-the-doctor/"


def test_the_page_shows_the_open_question_with_its_service_time(cast: Cast) -> None:
    page = cast.client("patient").get(URL)
    assert page.status_code == 200
    html = page.content.decode()
    assert "Zapytaj lekarza" in html
    assert f'id="visit-{cast.past_visit.pk}"' in html
    assert cast.question.text in html
    due = clock.local(cast.question.due_at)
    assert f"odpowiedź do {due.day} " in html  # "odpowiedź do 8 grudnia 2026, 10:00"
    assert f'name="appointment" value="{cast.past_visit.pk}"' not in html  # one open question per visit
    assert f'id="visit-{cast.visit.pk}"' not in html  # an upcoming visit is not asked about


def test_asking_stores_the_question_and_shows_it(cast: Cast) -> None:
    visit = visit_of(cast)
    client = cast.client("patient")
    page = client.get(URL)
    assert f'name="appointment" value="{visit.pk}"' in page.content.decode()
    answer = client.post(URL, {"appointment": visit.pk, "text": "Czy mogę już biegać?"})
    assert answer.status_code == 302 and answer["Location"].endswith(f"#visit-{visit.pk}")
    question = Question.objects.get(appointment=visit)
    assert (question.text, question.status, question.asked_by) == ("Czy mogę już biegać?", "open", cast.user("patient"))
    html = client.get(URL).content.decode()
    assert "Czy mogę już biegać?" in html and "Twoje pytanie zostało wysłane do lekarza." in html


def test_the_answer_reaches_the_patient(cast: Cast) -> None:
    psychiatrist = clinician(username="psychiatra", specialties=[], facilities=[], existing=cast.question.clinician)
    question_answer(actor=actor_of(psychiatrist.user), question_id=cast.question.pk, text="Proszę nie odstawiać leku.")
    html = cast.client("patient").get(URL).content.decode()
    assert "Proszę nie odstawiać leku." in html
    assert f'name="appointment" value="{cast.past_visit.pk}"' in html  # may ask again: a new question


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "To pole jest wymagane."), ("   ", "Wpisz treść."), ("Czy\x00?", "znaki sterujące")],
)
def test_a_bad_text_is_a_form_error_and_stores_nothing(cast: Cast, text: str, message: str) -> None:
    visit = visit_of(cast)
    page = cast.client("patient").post(URL, {"appointment": visit.pk, "text": text})
    assert page.status_code == 422
    assert message in page.content.decode()
    assert not Question.objects.filter(appointment=visit).exists()


def test_a_second_open_question_is_refused(cast: Cast) -> None:
    page = cast.client("patient").post(URL, {"appointment": cast.past_visit.pk, "text": "I jeszcze jedno?"})
    assert page.status_code == 422
    assert "Pytanie o tę wizytę czeka już na odpowiedź lekarza." in page.content.decode()
    assert Question.objects.filter(appointment=cast.past_visit).count() == 1


@pytest.mark.parametrize("target", ["someone_elses", "upcoming", "huge", "garbage"])
def test_someone_elses_or_an_impossible_visit_stores_nothing(cast: Cast, target: str) -> None:
    visit_id: Any = {
        "someone_elses": lambda: visit_of(cast, patient=cast.other_patient).pk,
        "upcoming": lambda: cast.visit.pk,
        "huge": lambda: 2**70,
        "garbage": lambda: "1 OR 1=1",
    }[target]()
    count = Question.objects.count()
    page = cast.client("patient").post(URL, {"appointment": visit_id, "text": "Pytanie?"})
    assert page.status_code == 422
    assert Question.objects.count() == count
    html = page.content.decode()
    assert 'id="error-summary"' in html


def test_a_guardian_sees_and_asks_about_their_childs_visit_and_the_read_is_recorded(cast: Cast) -> None:
    visit = visit_of(cast, patient=cast.child)
    client = cast.client("guardian")
    html = client.get(URL).content.decode()
    assert f'id="visit-{visit.pk}"' in html and cast.child.full_name in html
    assert list(PatientRead.objects.values_list("patient_id", "what", "door")) == [
        (cast.child.pk, "questions", "portal")
    ]
    assert client.post(URL, {"appointment": visit.pk, "text": "Czy Zosia może iść do szkoły?"}).status_code == 302
    assert Question.objects.get(appointment=visit).patient == cast.child


def test_level_one_sees_why_they_need_level_two(cast: Cast) -> None:
    visit_of(cast, patient=cast.level_one)
    page = cast.client("level_one").get(URL)
    assert page.status_code == 403
    assert 'id="level-two-required"' in page.content.decode()
    count = Question.objects.count()
    cast.client("level_one").post(URL, {"appointment": cast.past_visit.pk, "text": "Pytanie?"})
    assert Question.objects.count() == count


def test_the_page_costs_the_same_queries_for_one_visit_or_many(cast: Cast) -> None:
    client = cast.client("patient")
    client.get(URL)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(URL).status_code == 200
        return len(captured)

    few = queries()
    for days in range(1, 6):
        visit_of(cast, days=days)
    assert queries() == few


def test_the_menu_links_the_page(cast: Cast) -> None:
    assert f'href="{URL}"' in cast.client("patient").get(reverse("portal:visits")).content.decode()

"""Results out (CLN-3, CLN-6, ACC-4, issue 12): the patient's "Wyniki", the JSON API and the clinician's console —
who sees which result, the PDF, one analyte's history, the read record, and flat query counts."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from carenet.accounts.models import PatientRead
from carenet.accounts.tests.factories import PatientFactory
from carenet.core import clock
from carenet.core.dates import latest_birth_date_of_age
from carenet.results.models import Result
from carenet.results.tests.factories import ObservationFactory, ResultFactory
from tests.cast import RESULT_CODE, Cast, with_results

pytestmark = pytest.mark.django_db

HUGE = "9" * 30


@pytest.fixture
def results_cast(cast: Cast) -> Cast:
    return with_results(cast)


def _result(cast_result: Result | None) -> Result:
    assert cast_result is not None
    return cast_result


def reads() -> list[tuple[str, int, str, str]]:
    return list(PatientRead.objects.order_by("pk").values_list("reader__username", "patient_id", "what", "door"))


def lab_result(patient: Any, *, days_ago: int, value: str, flag: str = "", **fields: Any) -> Result:
    """A blood count with one haemoglobin value, ``days_ago`` days before now."""
    at = clock.now() - dt.timedelta(days=days_ago)
    result = ResultFactory(patient=patient, reported_at=at, received_at=at, collected_at=at, **fields)
    ObservationFactory(
        result=result, sequence=1, code=RESULT_CODE, value=value, numeric_value=Decimal(value), abnormal_flag=flag
    )
    return result


# --- The patient's pages ------------------------------------------------------------------------------------------


def test_the_patient_sees_her_results_newest_first_with_an_out_of_range_mark(results_cast: Cast) -> None:
    cast = results_cast
    older = lab_result(cast.patient, days_ago=40, value="13.0", name="Morfologia (luty)")
    page = cast.client("patient").get(reverse("portal:results"))
    assert page.status_code == 200
    html = page.content.decode()
    newest, old = html.index(f'data-result="{_result(cast.result).pk}"'), html.index(f'data-result="{older.pk}"')
    assert newest < old
    assert html.count("data-out-of-range") == 1  # the newest has a value below its range, the older none
    assert reads() == []  # her own reads are not recorded


def test_a_result_shows_each_value_with_its_range_and_a_mark_in_words_icon_and_arrow(results_cast: Cast) -> None:
    result = _result(results_cast.result)
    page = results_cast.client("patient").get(reverse("portal:result", args=[result.pk]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "10.1" in html and "12.0-16.0" in html and "6.2" in html
    low = re.search(r'<span class="value-mark out" data-mark="low">(.*?)</span>\s*</td>', html, re.S)
    assert low is not None and "↓" in low.group(1) and "⚠" in low.group(1)
    assert "poniżej zakresu" in low.group(1)  # the words, in Polish by default
    assert html.count('data-mark="normal"') == 1  # the white cells are in range
    assert reverse("portal:result_pdf", args=[result.pk]) in html
    assert reverse("portal:analyte_history", args=[RESULT_CODE]) in html
    with translation.override("en"):
        english = reverse("portal:result", args=[result.pk])
    assert english != reverse("portal:result", args=[result.pk])
    assert "below range" in results_cast.client("patient").get(english).content.decode()


def test_the_pdf_is_a_download_never_rendered(results_cast: Cast) -> None:
    result = _result(results_cast.result)
    answer = results_cast.client("patient").get(reverse("portal:result_pdf", args=[result.pk]))
    assert answer.status_code == 200
    assert answer["Content-Type"] == "application/pdf"
    assert answer["Content-Disposition"].startswith("attachment")
    assert answer["X-Content-Type-Options"] == "nosniff"
    assert b"".join(answer.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]


def test_a_result_without_a_pdf_has_no_download(results_cast: Cast) -> None:
    bare = lab_result(results_cast.patient, days_ago=3, value="14.0")
    client = results_cast.client("patient")
    assert (
        reverse("portal:result_pdf", args=[bare.pk])
        not in client.get(reverse("portal:result", args=[bare.pk])).content.decode()
    )
    assert client.get(reverse("portal:result_pdf", args=[bare.pk])).status_code == 404


def test_the_history_of_an_analyte_is_a_chart_and_a_table(results_cast: Cast) -> None:
    cast = results_cast
    lab_result(cast.patient, days_ago=90, value="13.2")
    lab_result(cast.patient, days_ago=60, value="17.5", flag="H")
    lab_result(cast.other_patient, days_ago=30, value="99.0")  # someone else's: never drawn
    page = cast.client("patient").get(reverse("portal:analyte_history", args=[RESULT_CODE]))
    assert page.status_code == 200
    html = page.content.decode()
    svg = html[html.index("<svg") : html.index("</svg>")]
    assert 'role="img"' in svg and "<title" in svg and "<desc" in svg
    assert 'class="chart-band"' in svg
    assert svg.count('class="chart-point out"') == 2 and svg.count('class="chart-point"') == 1
    assert "style=" not in html and "<script" not in svg
    assert not re.search(r'(?:cx|cy|x|y|width|height)="[0-9]+,[0-9]', svg)  # numbers, not Polish decimals
    table = html[html.index('id="history-table"') :]
    assert table.count("<tr") == 4  # the header and three values
    assert "99.0" not in html
    assert table.index("10.1") < table.index("17.5") < table.index("13.2")  # newest first


def test_the_history_needs_a_value_of_that_code_for_the_person(results_cast: Cast) -> None:
    client = results_cast.client("patient")
    assert client.get(reverse("portal:analyte_history", args=["2345-7"])).status_code == 404
    # Another patient's values are not reachable by naming them: ?who= outside the family means the patient herself.
    other = lab_result(results_cast.other_patient, days_ago=1, value="15.0", code="X-ONLY")
    other.observations.update(code="X-ONLY")
    url = reverse("portal:analyte_history", args=["X-ONLY"])
    assert client.get(url, {"who": results_cast.other_patient.pk}).status_code == 404


@pytest.mark.parametrize("code", ["%00", "a" * 41, "%F0%9F%98%80", "718-7%00"])
def test_a_hostile_analyte_code_is_a_404(results_cast: Cast, code: str) -> None:
    url = reverse("portal:analyte_history", args=["X"]).replace("/X/", f"/{code}/")
    assert results_cast.client("patient").get(url).status_code == 404
    api = results_cast.client("patient").get(f"/api/v1/results/analytes/{code}/history")
    assert api.status_code == 404 and api.json()["code"] in ("analyte_not_found", "not_found")


def test_another_patients_result_is_never_visible(results_cast: Cast) -> None:
    result = _result(results_cast.result)
    for role in ("other_patient", "guardian"):
        client = results_cast.client(role)
        for name in ("portal:result", "portal:result_pdf"):
            assert client.get(reverse(name, args=[result.pk])).status_code == 404, (role, name)
        listed = client.get(reverse("portal:results"), {"who": results_cast.patient.pk}).content.decode()
        assert f'data-result="{result.pk}"' not in listed
    assert reads() == []


@pytest.mark.parametrize("result_id", [HUGE, "9223372036854775808", "0"])
def test_hostile_result_ids_are_404_not_500(results_cast: Cast, result_id: str) -> None:
    client = results_cast.client("patient")
    base = reverse("portal:result", args=[1]).replace("/1/", f"/{result_id}/")
    assert client.get(base).status_code == 404
    assert client.get(base + "pdf/").status_code == 404
    assert client.get(f"/api/v1/results/{result_id}").status_code == 404
    assert client.get(f"/api/v1/results/{result_id}/pdf").status_code == 404
    staff = results_cast.client("clinician_with")
    assert staff.get(f"/staff/results/{result_id}/").status_code == 404


@pytest.mark.parametrize("result_id", ["-1", "abc", "1.5"])
def test_non_numeric_result_ids_match_nothing(results_cast: Cast, result_id: str) -> None:
    client = results_cast.client("patient")
    assert client.get(f"/api/v1/results/{result_id}").status_code == 404
    assert client.get(f"/staff/results/{result_id}/").status_code == 404


def test_a_guardian_sees_a_childs_results_and_the_read_is_recorded(results_cast: Cast) -> None:
    cast = results_cast
    child_result = lab_result(cast.child, days_ago=2, value="11.0", flag="L")
    client = cast.client("guardian")
    listed = client.get(reverse("portal:results"), {"who": cast.child.pk}).content.decode()
    assert f'data-result="{child_result.pk}"' in listed
    assert client.get(reverse("portal:result", args=[child_result.pk])).status_code == 200
    assert client.get(reverse("portal:analyte_history", args=[RESULT_CODE]), {"who": cast.child.pk}).status_code == 200
    api = client.get("/api/v1/results", {"patient_id": cast.child.pk}).json()
    assert [row["id"] for row in api["results"]] == [child_result.pk]
    assert {(who, patient, what) for who, patient, what, _ in reads()} == {("piotr", cast.child.pk, "results")}
    assert len(reads()) == 4


def test_an_adult_childs_results_are_not_the_parents(results_cast: Cast) -> None:
    cast = results_cast
    adult = PatientFactory(guardian=cast.guardian, birth_date=latest_birth_date_of_age(19, clock.today()), user=None)
    grown_up = lab_result(adult, days_ago=2, value="14.0")
    client = cast.client("guardian")
    assert client.get(reverse("portal:result", args=[grown_up.pk])).status_code == 404
    listed = client.get(reverse("portal:results"), {"who": adult.pk}).content.decode()
    assert f'data-result="{grown_up.pk}"' not in listed
    assert client.get("/api/v1/results", {"patient_id": adult.pk}).status_code == 404
    assert client.get(f"/api/v1/results/{grown_up.pk}").status_code == 404


def test_level_one_gets_the_explanation_never_the_results(results_cast: Cast) -> None:
    cast = results_cast
    own = lab_result(cast.level_one, days_ago=2, value="14.0")
    client = cast.client("level_one")
    for url in (
        reverse("portal:results"),
        reverse("portal:result", args=[own.pk]),
        reverse("portal:result_pdf", args=[own.pk]),
        reverse("portal:analyte_history", args=[RESULT_CODE]),
    ):
        page = client.get(url)
        assert page.status_code == 403 and b'id="level-two-required"' in page.content, url
    for url in ("/api/v1/results", f"/api/v1/results/{own.pk}", f"/api/v1/results/analytes/{RESULT_CODE}/history"):
        answer = client.get(url)
        assert answer.status_code == 403 and answer.json()["code"] == "level_two_required", url
    assert reads() == []


def test_partner_results_are_shown_to_the_patient_and_hidden_from_a_network_clinician(results_cast: Cast) -> None:
    cast = results_cast
    partner_result = lab_result(cast.patient, days_ago=1, value="18.0", flag="H", facility=cast.partner)
    patient = cast.client("patient")
    assert f'data-result="{partner_result.pk}"' in patient.get(reverse("portal:results")).content.decode()
    assert patient.get(reverse("portal:result", args=[partner_result.pk])).status_code == 200
    assert partner_result.pk in [row["id"] for row in patient.get("/api/v1/results").json()["results"]]
    # clinician_with has a visit with Anna but did not order this one: a partner's documentation (CLN-6).
    clinician = cast.client("clinician_with")
    assert clinician.get(reverse("staff:result", args=[partner_result.pk])).status_code == 404
    assert clinician.get(f"/api/v1/results/{partner_result.pk}").status_code == 404
    listed = clinician.get("/api/v1/results", {"patient_id": cast.patient.pk}).json()["results"]
    assert [row["id"] for row in listed] == [_result(cast.result).pk]
    visit = clinician.get(reverse("staff:clinician_visit", args=[cast.visit.pk])).content.decode()
    assert f'data-result="{_result(cast.result).pk}"' in visit and f'data-result="{partner_result.pk}"' not in visit
    history = clinician.get(f"/api/v1/results/analytes/{RESULT_CODE}/history", {"patient_id": cast.patient.pk}).json()
    assert [value["numeric_value"] for value in history["values"]] == ["10.1"]


def test_the_clinician_who_ordered_a_partner_exam_sees_its_result(results_cast: Cast) -> None:
    cast = results_cast
    ordered = lab_result(cast.patient, days_ago=1, value="18.0", facility=cast.partner, ordered_by=cast.clinician_with)
    clinician = cast.client("clinician_with")
    assert clinician.get(reverse("staff:result", args=[ordered.pk])).status_code == 200
    assert f'data-result="{ordered.pk}"' in clinician.get(reverse("staff:results")).content.decode()


# --- The clinician's console --------------------------------------------------------------------------------------


def test_the_clinician_lists_the_results_he_ordered_with_the_abnormal_marked(results_cast: Cast) -> None:
    cast = results_cast
    not_his = lab_result(cast.patient, days_ago=3, value="13.0")  # ordered by nobody in the network
    page = cast.client("clinician_with").get(reverse("staff:results"))
    html = page.content.decode()
    assert page.status_code == 200
    assert f'data-result="{_result(cast.result).pk}"' in html and f'data-result="{not_his.pk}"' not in html
    assert "data-out-of-range" in html and "Nowak Anna" in html
    assert reads() == [("lekarz-kowalski", cast.patient.pk, "results", "staff")]


def test_the_clinician_opens_a_result_and_its_pdf(results_cast: Cast) -> None:
    result = _result(results_cast.result)
    client = results_cast.client("clinician_with")
    page = client.get(reverse("staff:result", args=[result.pk])).content.decode()
    assert 'data-mark="low"' in page and "↓" in page and reverse("staff:result_pdf", args=[result.pk]) in page
    pdf = client.get(reverse("staff:result_pdf", args=[result.pk]))
    assert pdf.status_code == 200 and pdf["Content-Disposition"].startswith("attachment")
    assert [what for _, _, what, door in reads()] == ["results", "results"]


def test_a_related_clinician_sees_a_result_he_did_not_order_on_the_visit_page(results_cast: Cast) -> None:
    cast = results_cast
    by_another = lab_result(cast.patient, days_ago=5, value="12.5", facility=cast.elsewhere)
    client = cast.client("clinician_with")
    visit = client.get(reverse("staff:clinician_visit", args=[cast.visit.pk])).content.decode()
    assert 'id="results"' in visit and f'data-result="{by_another.pk}"' in visit
    assert client.get(reverse("staff:result", args=[by_another.pk])).status_code == 200
    assert ("lekarz-kowalski", cast.patient.pk, "results", "staff") in reads()


def test_a_clinician_without_a_relationship_gets_404_and_nothing_is_recorded(results_cast: Cast) -> None:
    result = _result(results_cast.result)
    client = results_cast.client("clinician_without")
    assert client.get(reverse("staff:result", args=[result.pk])).status_code == 404
    assert client.get(reverse("staff:result_pdf", args=[result.pk])).status_code == 404
    assert f'data-result="{result.pk}"' not in client.get(reverse("staff:results")).content.decode()
    for url in (
        f"/api/v1/results/{result.pk}",
        f"/api/v1/results/{result.pk}/pdf",
        f"/api/v1/results?patient_id={results_cast.patient.pk}",
        f"/api/v1/results/analytes/{RESULT_CODE}/history?patient_id={results_cast.patient.pk}",
    ):
        answer = client.get(url)
        assert answer.status_code == 404 and answer.json()["code"] in ("result_not_found", "patient_not_found"), url
    assert reads() == []


# --- The JSON API -------------------------------------------------------------------------------------------------


def test_the_api_lists_and_details_results_with_marks(results_cast: Cast) -> None:
    cast = results_cast
    result = _result(cast.result)
    client = cast.client("patient")
    listed = client.get("/api/v1/results").json()
    assert listed["results"][0]["id"] == result.pk and listed["results"][0]["any_out_of_range"] is True
    assert listed["results"][0]["has_pdf"] is True and listed["has_next"] is False
    detail = client.get(f"/api/v1/results/{result.pk}").json()
    assert [(row["code"], row["mark"]) for row in detail["observations"]] == [
        (RESULT_CODE, "low"),
        ("6690-2", "normal"),
    ]
    assert detail["observations"][0]["reference_range"] == "12.0-16.0"
    pdf = client.get(f"/api/v1/results/{result.pk}/pdf")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"].startswith("attachment") and pdf["X-Content-Type-Options"] == "nosniff"
    history = client.get(f"/api/v1/results/analytes/{RESULT_CODE}/history").json()
    assert history["patient_id"] == cast.patient.pk and [v["mark"] for v in history["values"]] == ["low"]


def test_the_api_pages_results(results_cast: Cast) -> None:
    for days in range(3, 6):
        lab_result(results_cast.patient, days_ago=days, value="14.0")
    client = results_cast.client("patient")
    first = client.get("/api/v1/results", {"page_size": 3}).json()
    second = client.get("/api/v1/results", {"page_size": 3, "page": 2}).json()
    assert first["has_next"] is True and second["has_next"] is False
    assert len(first["results"]) == 3 and len(second["results"]) == 1
    assert not {row["id"] for row in first["results"]} & {row["id"] for row in second["results"]}


def test_the_api_answers_json_404_for_a_result_without_a_pdf_and_for_someone_elses(results_cast: Cast) -> None:
    cast = results_cast
    bare = lab_result(cast.patient, days_ago=3, value="14.0")
    client = cast.client("patient")
    missing = client.get(f"/api/v1/results/{bare.pk}/pdf")
    assert missing.status_code == 404 and missing.json()["code"] == "pdf_not_found"
    theirs = lab_result(cast.other_patient, days_ago=3, value="14.0")
    assert client.get(f"/api/v1/results/{theirs.pk}").json()["code"] == "result_not_found"
    assert client.get(f"/api/v1/results/{theirs.pk}/pdf").json()["code"] == "result_not_found"
    assert client.get("/api/v1/results", {"patient_id": cast.other_patient.pk}).json()["code"] == "patient_not_found"
    assert (
        client.get(f"/api/v1/results/analytes/{RESULT_CODE}/history", {"patient_id": cast.other_patient.pk}).json()[
            "code"
        ]
        == "patient_not_found"
    )


def test_a_stored_pdf_that_is_gone_is_a_json_404(results_cast: Cast) -> None:
    result = _result(results_cast.result)
    result.pdf.storage.delete(result.pdf.name)
    answer = results_cast.client("patient").get(f"/api/v1/results/{result.pk}/pdf")
    assert answer.status_code == 404 and answer.json()["code"] == "pdf_not_found"


@pytest.mark.parametrize(
    "query", [{"patient_id": "abc"}, {"patient_id": HUGE}, {"patient_id": True}, {"page": 0}, {"page_size": 10**9}]
)
def test_bad_api_input_is_a_422_never_a_500(results_cast: Cast, query: dict[str, Any]) -> None:
    answer = results_cast.client("patient").get("/api/v1/results", query)
    assert answer.status_code == 422 and answer.json()["code"] == "invalid_input"


def test_staff_without_the_grant_get_role_not_allowed(results_cast: Cast) -> None:
    for role in ("receptionist_here", "call_centre", "admin", "coordinator"):
        answer = results_cast.client(role).get("/api/v1/results", {"patient_id": results_cast.patient.pk})
        assert answer.status_code == 403 and answer.json()["code"] == "role_not_allowed", role
    assert reads() == []


def test_a_clinician_must_name_the_patient_for_a_history(results_cast: Cast) -> None:
    answer = results_cast.client("clinician_with").get(f"/api/v1/results/analytes/{RESULT_CODE}/history")
    assert answer.status_code == 422 and answer.json()["code"] == "patient_id_required"


def test_the_results_endpoints_are_in_the_openapi_document(client: Any) -> None:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in (
        "/api/v1/results",
        "/api/v1/results/{result_id}",
        "/api/v1/results/{result_id}/pdf",
        "/api/v1/results/analytes/{code}/history",
    ):
        answers = paths[path]["get"]["responses"]
        assert {"200", "401", "403", "404", "422"} <= set(answers), path
    assert "application/pdf" in paths["/api/v1/results/{result_id}/pdf"]["get"]["responses"]["200"]["content"]


# --- Query counts: flat in the number of results and values -------------------------------------------------------


def _queries(client: Any, url: str, **query: Any) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url, query).status_code == 200
    return len(captured)


def _many(cast: Cast, count: int) -> Result:
    """``count`` results for Anna, ordered by clinician_with, the last with ``count`` values and a PDF."""
    last = None
    for index in range(count):
        last = lab_result(cast.patient, days_ago=index + 3, value="14.0", ordered_by=cast.clinician_with)
    assert last is not None
    for sequence in range(2, count + 1):
        ObservationFactory(result=last, sequence=sequence, code=f"C{sequence}")
    last.pdf.save("raport.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"), save=True)
    return last


@pytest.mark.parametrize(
    ("role", "door"),
    [
        ("patient", "portal:results"),
        ("patient", "portal:result"),
        ("patient", "portal:analyte_history"),
        ("clinician_with", "staff:results"),
        ("clinician_with", "staff:result"),
        ("clinician_with", "staff:clinician_visit"),
        ("patient", "api:result_list"),
        ("patient", "api:result_detail"),
        ("patient", "api:analyte_history"),
        ("clinician_with", "api:result_list"),
    ],
)
def test_query_counts_do_not_grow_with_the_results(cast: Cast, role: str, door: str, time_machine: Any) -> None:
    time_machine.move_to(clock.now(), tick=False)  # both counts on one day: the pages' work depends on today
    counts = []
    for count in (3, 30):
        with_results(cast)
        last = _many(cast, count)
        args = {
            "portal:result": [last.pk],
            "staff:result": [last.pk],
            "api:result_detail": [last.pk],
            "portal:analyte_history": [RESULT_CODE],
            "api:analyte_history": [RESULT_CODE],
            "staff:clinician_visit": [cast.visit.pk],
        }.get(door, [])
        client = cast.client(role)
        client.get(reverse(door, args=args))  # warm the session and the translations
        counts.append(_queries(client, reverse(door, args=args)))
    assert counts[0] == counts[1], (door, counts)


def test_preliminary_and_corrected_results_say_so_and_an_imaging_report_shows_its_text(results_cast: Cast) -> None:
    cast = results_cast
    preliminary = lab_result(cast.patient, days_ago=2, value="14.0", status=Result.Status.PRELIMINARY)
    corrected = lab_result(cast.patient, days_ago=3, value="14.0", status=Result.Status.CORRECTED)
    imaging = ResultFactory(
        patient=cast.patient, kind=Result.Kind.IMAGING, name="RTG klatki piersiowej", report_text="Płuca bez zmian."
    )
    client = cast.client("patient")
    listed = client.get(reverse("portal:results")).content.decode()
    assert listed.count('data-status="P"') == 1 and listed.count('data-status="C"') == 1
    assert "wstępny" in listed and "poprawiony" in listed
    page = client.get(reverse("portal:result", args=[preliminary.pk])).content.decode()
    assert 'data-status="P"' in page and "Laboratorium może go jeszcze zmienić." in page
    assert 'data-status="C"' in client.get(reverse("portal:result", args=[corrected.pk])).content.decode()
    report = client.get(reverse("portal:result", args=[imaging.pk])).content.decode()
    assert 'id="report"' in report and "Płuca bez zmian." in report and "Diagnostyka obrazowa" in report
    api = client.get(f"/api/v1/results/{imaging.pk}").json()
    assert api["kind"] == "imaging" and api["report_text"] == "Płuca bez zmian." and api["observations"] == []

"""The authorization matrix (SEC, CLN-6, ACC-3, ACC-4, ACC-7, issue 10): every URL of CareNet × every role of the
cast, generated from the URL configuration — a new page or endpoint without a row fails this suite.

Each cell says what the role gets from a GET of the page (or the endpoint) for Anna's data (``tests.cast``):

* ``O`` the page (2xx) · ``R`` a redirect elsewhere (e.g. a login page for someone already logged in)
* ``L`` a redirect to a login page · ``A`` 401 from the API · ``F`` 403 · ``N`` 404 (as if it did not exist)
* ``M`` 405: the address takes another method · ``B`` 400 (a request the endpoint cannot read)
* ``I`` 422: allowed in, and the input (a deliberately incomplete body) refused · ``C`` 409

Addresses that change something are tried with their own method (``METHODS``) and a body that would change
something if it were allowed (``post_body``), each inside a transaction rolled back after the answer.

And every refusal (``L``, ``A``, ``F``, ``N``) changes nothing: the same role's POST — with a body that would
change something if it were allowed — leaves every table, every visit's status, every account and the outbox as
they were.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.test import Client
from django.test.client import MULTIPART_CONTENT
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from carenet.accounts.models import IdentityRequest, Patient, User
from carenet.booking.models import Appointment
from carenet.complaints.models import Claim, Complaint
from carenet.complaints.tests.factories import cases_of
from carenet.core import clock
from carenet.files.tests.factories import png_bytes
from carenet.scheduling.models import Slot
from tests.cast import (
    RESULT_CODE,
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

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(db: None) -> Cast:
    """The role cast, with Anna's earlier prescriptions and a renewal waiting in clinician_with's queue (CLN-2), her
    blood count ordered by clinician_with and a person she authorised to collect her results (CLN-3), and her two
    stored files, one attached to her visit tomorrow (FIL-1, TEL-3), and her online consultation with clinician_with,
    ended an hour ago, in the internal medicine line he is on duty for (TEL-2, FBK-1); her pregnancy led at Mokotów and
    her open request for pregnancy care elsewhere (BKG-7); her complaint and claim (FBK-2, FBK-3); her visit cancelled
    by a closure of Wola for the psychiatrist (NET-3)."""
    cast = with_pregnancy(with_consultation(with_files(with_collection(with_results(with_renewals(build_cast()))))))
    cases_of(cast.patient, filed_at=clock.now() - dt.timedelta(days=2))
    return with_closure(cast)


#: The back office is Django's admin, ~240 addresses of its own: every one without an argument is checked for every
#: role below (``test_only_the_back_office_roles_get_past_its_gate``), its records' pages by Django's permissions.
SKIPPED_NAMESPACES = {"admin"}
#: Files served in development only; not a page.
SKIPPED_PATTERNS = {"^media/(?P<path>.*)$"}

#: Role order of the strings below.
HEADER = " ".join(f"{index}={role}" for index, role in enumerate(ROLES))
#             0 anonymous · 1 patient · 2 other_patient · 3 guardian · 4 level_one · 5 lapsed ·
#             6 receptionist_here · 7 receptionist_elsewhere · 8 call_centre · 9 clinician_with ·
#             10 clinician_without · 11 coordinator · 12 partner_staff · 13 admin · 14 employer_contact
PATIENT_PAGE = "LOOOOFFFFFFFFFF"
LEVEL_TWO_PAGE = "LOOOFFFFFFFFFFF"
ANNAS_VISIT = "LONNNFFFFFFFFFF"
PUBLIC = "OOOOOOOOOOOOOOO"
LOGIN_PAGE = "ORRRRRRRRRRRRRR"
STAFF_PAGE = "LFFFFFOOOOOOOOO"
API_DOCUMENTS = "AONNNFFFFONFFFF"
OWN_FILE_PAGE = "LONNFFFFFFFFFFF"
API_OWN_FILES = "AONNFFFFFFFFFFF"

MATRIX: dict[str, str] = {
    # --- public pages and documents
    "portal:home": PUBLIC,
    "portal:facilities": PUBLIC,
    "portal:register": "ORRRRRRRRRRRRRR",
    "portal:checkin": PUBLIC,
    "set_language": "RRRRRRRRRRRRRRR",
    "api:health": PUBLIC,
    "api:openapi-json": PUBLIC,
    "api:openapi-view": PUBLIC,
    "api:api-root": "NNNNNNNNNNNNNNN",
    # --- logging in and out
    "portal:login": LOGIN_PAGE,
    "staff:login": LOGIN_PAGE,
    "portal:logout": "RRRRRRRRRRRRRRR",
    "staff:logout": "RRRRRRRRRRRRRRR",
    "portal:login_code": "LRRRRRRRRRRRRRR",
    "staff:two_factor": "LRRRRRRRRRRRRRR",
    "staff:two_factor_enrol": "LRRRRRRRRRRRRRR",
    "portal:first_password": "LLLLLLLLLLLLLLL",
    "portal:set_password": "LRRRRRRRRRRRRRR",
    "api:token_create": "IIIIIIIIIIIIIII",
    "api:token_delete": "AAAAAAAAAAAAAAA",
    # --- the patient's pages (ACC-3, ACC-4, ACC-7)
    "portal:account": PATIENT_PAGE,
    "portal:password_change": "LBBBBFFFFFFFFFF",
    "portal:two_factor_enable": PATIENT_PAGE,
    "portal:two_factor_disable": "LRRRRFFFFFFFFFF",
    "portal:search": PATIENT_PAGE,
    "portal:book": PATIENT_PAGE,
    "portal:visits": PATIENT_PAGE,
    "portal:visit": ANNAS_VISIT,
    "portal:cancel": ANNAS_VISIT,
    "portal:reschedule": ANNAS_VISIT,
    "portal:reschedule_confirm": ANNAS_VISIT,
    "portal:identity": PATIENT_PAGE,
    "portal:identity_request": "LIIIIFFFFFFFFFF",
    "portal:identity_bank_start": "LRRRRFFFFFFFFFF",
    "portal:identity_bank_callback": "LRRRRFFFFFFFFFF",
    "portal:ecard": LEVEL_TWO_PAGE,
    "portal:reads_of_my_data": LEVEL_TWO_PAGE,
    # ACC-8: "Twoje dane", the code for a new number, "Twoje zgody" — the caller's own only; staff have no grant.
    "portal:contact_data": PATIENT_PAGE,
    "portal:contact_data_phone_confirm": PATIENT_PAGE,
    "portal:consents": PATIENT_PAGE,
    "api:contact_data": "AOOOOFFFFFFFFFF",
    "api:contact_data_phone": "AOOOOFFFFFFFFFF",
    "api:contact_data_phone_confirm": "ACCCCFFFFFFFFFF",  # no new number waiting for a code
    "api:consents": "AOOOOFFFFFFFFFF",
    "api:contact_data_update": "AOOOOFFFFFFFFFF",
    "api:consents_update": "AOOOOFFFFFFFFFF",
    "portal:ecard_pdf": LEVEL_TWO_PAGE,
    "portal:package": PATIENT_PAGE,  # PKG-7: "Twój pakiet medyczny" (level I too)
    # the patient's clinical documents (ACC-4, CLN-1, CLN-5): the "Leczenie" overview, then level II pages
    "portal:treatment": PATIENT_PAGE,
    "portal:referrals": LEVEL_TWO_PAGE,
    "portal:prescriptions": LEVEL_TWO_PAGE,
    "portal:recommendations": LEVEL_TWO_PAGE,
    "portal:sick_leaves": LEVEL_TWO_PAGE,
    "portal:questions": LEVEL_TWO_PAGE,
    "portal:renewal_order": LEVEL_TWO_PAGE,  # CLN-2, ACC-4
    # CLN-3: "Wyniki" — Anna's result is hers alone (a guardian of another family, another patient: 404)
    "portal:results": LEVEL_TWO_PAGE,
    "portal:result": "LONNFFFFFFFFFFF",
    "portal:result_pdf": "LONNFFFFFFFFFFF",
    "portal:analyte_history": "LONNFFFFFFFFFFF",  # another patient has no value of Anna's analyte: 404
    # CLN-3: who may collect Anna's results (Piotr's family is not hers: 404, as if it did not exist)
    "portal:collection_authorisations": LEVEL_TWO_PAGE,
    "portal:collection_authorisation_revoke": "LONNFFFFFFFFFFF",
    # TEL-3: attaching Anna's files to her visit tomorrow (and taking one off): back to the visit page
    "portal:visit_files": "LRNNFFFFFFFFFFF",
    "portal:visit_file_detach": "LRNNFFFFFFFFFFF",
    # FIL-1, FIL-2: "Twoje pliki" — the page is each patient's own; Anna's file only hers (others: 404)
    "portal:files": LEVEL_TWO_PAGE,
    "portal:file_download": OWN_FILE_PAGE,
    "portal:file_delete": OWN_FILE_PAGE,
    # TEL-2, TEL-3, FBK-1, SCH-3: "Konsultacje online" (level II). Anna's consultation ended an hour ago: leaving it,
    # attaching files to it are refused back to its page; her survey is open; her visit tomorrow is not a video visit.
    "portal:consultations": LEVEL_TWO_PAGE,
    "portal:consultation_start": LEVEL_TWO_PAGE,
    "portal:consultation": OWN_FILE_PAGE,
    "portal:consultation_leave": "LRNNFFFFFFFFFFF",
    "portal:consultation_files": "LRNNFFFFFFFFFFF",
    "portal:consultation_file_detach": "LRNNFFFFFFFFFFF",
    "portal:consultation_survey": "LINNFFFFFFFFFFF",  # the matrix posts forms as raw text: no rating, 422 inside
    "portal:consultation_token": OWN_FILE_PAGE,
    "portal:visit_room": "LRNNFFFFFFFFFFF",
    # BKG-7: "Opieka w ciąży" — each patient's own page and request (the lapsed patient: no package, 403)
    "portal:pregnancy_request": PATIENT_PAGE,
    # FBK-1: "Oceń wizytę" — Anna's visit tomorrow is hers alone (level II: a rated visit is history); "Oceń nas"
    # for every patient whose package is in force.
    "portal:visit_rate": "LONNFFFFFFFFFFF",
    "portal:rate_us": PATIENT_PAGE,
    # --- the consoles
    "staff:dashboard": STAFF_PAGE,
    "staff:password_change": STAFF_PAGE,
    # BEY-4: the network's figures and their CSV — coordinators and administrators (no patient data); the CSV
    # without ``figure=`` does not know which table to give: 400.
    "staff:dashboard_network": "LFFFFFFFFFFOFOF",
    "staff:dashboard_network_csv": "LFFFFFFFFFFBFBF",
    "staff:patients": "LFFFFFOOOFFFFOF",
    "staff:patient": "LFFFFFOOOONFFOF",
    "staff:patient_search": "LFFFFFOOOFFFFOF",
    "staff:book": "LFFFFFONOFFFFOF",  # the free slot is at Mokotów: another desk's slot does not exist for Wola
    "staff:cancel": "LFFFFFONOFFFFOF",
    "staff:patient_no_shows": "LFFFFFOOOFFFFOF",
    "staff:ecard_verify": "LFFFFFOOOFFFOOF",
    "staff:identity_confirm_phone": "LFFFFFFFOFFFFOF",
    "staff:identity_confirm_in_person": "LFFFFFOOFFFFFOF",
    "staff:password_reset": "LFFFFFOOOFFFFOF",
    "staff:identity_queue": "LFFFFFFFOFFFFOF",
    "staff:identity_review": "LFFFFFFFRFFFFRF",
    "staff:reception": "LFFFFFOOOFFFFOF",
    "staff:reception_entrance": "LFFFFFOOFFFFFOF",
    "staff:reception_act": "LFFFFFRNFFFFFRF",
    # Issue 14: undoing a wrong check-in — the facility's receptionist alone (Anna's visit is not checked in: the
    # desk is told so on the day list; an administrator records arrivals but does not undo them).
    "staff:reception_undo": "LFFFFFRNFFFFFFF",
    # --- the clinician's console (CLN-5, CLN-6, TEL-1): Anna's visit tomorrow is clinician_with's; clinician_without
    # has never seen her. Acting on it tomorrow is too early (or not a phone consultation): back to the page.
    "staff:clinician_calls": "LFFFFFFFFOOFFFF",
    "staff:clinician_visit": "LFFFFFFFFONFFFF",
    "staff:clinician_call": "LFFFFFFFFRNFFFF",
    "staff:clinician_visit_close": "LFFFFFFFFRNFFFF",
    "staff:clinician_issue": "LFFFFFFFFINFFFF",  # CLN-5: too early tomorrow morning — refused, nothing stored
    "staff:clinician_drugs": "LFFFFFFFFOOFFFF",
    # TEL-2, SCH-3: online consultations — the queue's counts for clinicians, coordinators and admins; taking the next
    # patient (nobody waits, or not on duty: back to the console with a message). Anna's consultation is
    # clinician_with's (clinician_without: 404); it has ended: its room shows the transcript, gives no socket token
    # and ends no more. Her visit tomorrow is not a video visit: "Join" goes back to the visit page.
    "staff:consultations": "LFFFFFFFFOOOFOF",
    "staff:consultation_take_next": "LFFFFFFFFRRFFFF",
    "staff:consultation_room": "LFFFFFFFFONFFFF",
    "staff:consultation_token": "LFFFFFFFFNNFFFF",
    "staff:consultation_end": "LFFFFFFFFRNFFFF",
    "staff:consultation_join": "LFFFFFFFFRNFFFF",
    # FIL-1, CLN-6: Anna's file, for a clinician with a visit with her only
    "staff:patient_file": "LFFFFFFFFONFFFF",
    # CLN-4: Anna's question is about her visit with a psychiatrist at Wola: not in either cast clinician's inbox.
    "staff:questions": "LFFFFFFFFOOFFFF",
    # FBK-1: the ratings, anonymous, for coordinators and admins (FEEDBACK_VIEW)
    "staff:ratings": "LFFFFFFFFFFOFOF",
    "staff:question_answer": "LFFFFFFFFNNFFFF",
    # CLN-2: the call centre and reception order for any patient; a clinician decides only their queue's requests.
    "staff:renewal_order": "LFFFFFOOOFFFFOF",
    "staff:renewals": "LFFFFFFFFOOFFFF",
    "staff:renewal_issue": "LFFFFFFFFINFFFF",  # the matrix posts forms as raw text: no dose, 422 inside
    "staff:renewal_decline": "LFFFFFFFFINFFFF",
    # CLN-3, CLN-6: the clinician's results — clinician_with ordered Anna's; clinician_without never saw her.
    "staff:results": "LFFFFFFFFOOFFFF",
    "staff:result": "LFFFFFFFFONFFFF",
    "staff:result_pdf": "LFFFFFFFFONFFFF",
    # CLN-3: authorisations to collect results and the hand-over at the desk: reception (any centre's desk) and admin
    "staff:collection": "LFFFFFOOFFFFFOF",
    "staff:collection_revoke": "LFFFFFOOFFFFFOF",
    # NET-3: closures are the coordinator's (and the administrator's); the call list is the call centre's too.
    "staff:closures": "LFFFFFFFFFFOFOF",
    "staff:closure_new": "LFFFFFFFFFFOFOF",
    "staff:closure": "LFFFFFFFFFFOFOF",
    "staff:closure_reopen": "LFFFFFFFFFFRFRF",
    "staff:closure_calls": "LFFFFFFFOFFOFOF",
    "staff:closure_called": "LFFFFFFFRFFRFRF",
    "portal:closure_alternatives": ANNAS_VISIT,
    "staff:collection_check": "LFFFFFOOFFFFFOF",
    "staff:collection_result_pdf": "LFFFFFOOFFFFFOF",
    # BKG-7: pregnancy care. The call centre files a request for the patient on the phone; the queue and a request
    # are read by the call centre, coordinators and admins; only coordinators and admins resolve (the matrix posts
    # forms as raw text: no slot chosen, 409; no reason, 422) and record where a pregnancy is led from a request (no
    # facility, 422). A clinician with a visit with Anna records it from the visit (already recorded at Mokotów: back
    # to the visit page; the visit page is the clinicians' alone: others 404) and ends it, as coordinators do;
    # clinician_without never saw her (404).
    "staff:pregnancy_request_new": "LFFFFFFFOFFFFOF",
    "staff:pregnancy_requests": "LFFFFFFFOFFOFOF",
    "staff:pregnancy_request": "LFFFFFFFOFFOFOF",
    "staff:pregnancy_request_book": "LFFFFFFFFFFCFCF",
    "staff:pregnancy_request_decline": "LFFFFFFFFFFIFIF",
    "staff:pregnancy_request_care": "LFFFFFFFFNNIFIF",
    "staff:pregnancy_care_visit": "LFFFFFFFFRNNFNF",
    "staff:pregnancy_care_end": "LFFFFFFFFRNRFRF",
    # PKG-3, PKG-8: the roster of Anna's contract — its employer's contact (kadry), coordinators (read) and admins;
    # nobody else. No upload is kept in the cast: a report of upload 0 does not exist.
    "staff:roster": "LFFFFFFFFFFOFOO",
    "staff:roster_export": "LFFFFFFFFFFOFOO",
    "staff:roster_upload": "LFFFFFFFFFFFFOO",
    "staff:roster_upload_report": "LFFFFFFFFFFFFNN",
    # --- the JSON API (session-authenticated here; bearer tokens have their own tests)
    "api:slot_list": "AONNNFOOOFFFFOF",
    "api:appointment_list": "AONNNFOOOFFFFOF",
    "api:appointment_detail": "AONNNFONOONNNON",
    "api:appointment_book": "AONNNFOFOFFFFOF",
    "api:appointment_hold": "AONNNFOFOFFFFOF",
    "api:appointment_confirm": "ACNNNFFNFFFFFCF",
    "api:appointment_reschedule": "AONNNFONOFFFFOF",
    "api:appointment_cancel": "AONNNFONOFFFFOF",
    "api:ecard_verify_endpoint": "AFFFFFOOOFFFOOF",
    # PKG-7: Anna's package — herself, the call centre and admins; other patients' families 404, other roles 403
    "api:package_detail": "AONNNFFFOFFFFOF",
    # Anna's documents: herself, and a clinician with a visit with her (CLN-6); other patients and the clinician
    # without a visit get 404, staff without MEDICAL_RECORD_VIEW 403, the lapsed patient 403 (ACC-7)
    "api:referral_list": API_DOCUMENTS,
    "api:prescription_list": API_DOCUMENTS,
    "api:recommendation_list": API_DOCUMENTS,
    "api:sick_leave_list": API_DOCUMENTS,
    "api:result_list": API_DOCUMENTS,  # CLN-3: Anna's results, as her documents
    "api:result_detail": API_DOCUMENTS,
    "api:result_pdf": API_DOCUMENTS,
    "api:analyte_history": API_DOCUMENTS,
    "api:question_list": "AOOOFFFFFFFFFFF",
    "api:question_ask": "ACNNFFFFFFFFFFF",  # Anna's past visit already has her open question: 409
    "api:renewal_list": "AONNNFOOOFFFFOF",
    "api:renewal_drugs": "AONNNFOOOFFFFOF",
    "api:renewal_order": "AONNNFOOOFFFFOF",
    "api:collection_authorisation_list": "AONNNFOOFFFFFOF",
    "api:collection_authorisation_revoke": "AONNNFOOFFFFFOF",
    # TEL-3: the files attached to Anna's visit — she and clinician_with read them; only she attaches and detaches
    "api:visit_file_list": "AONNNFFFFONFFFF",
    "api:visit_file_attach": "AONNNFFFFFFFFFF",
    "api:visit_file_detach": "AONNNFFFFFFFFFF",
    # FIL-1, FIL-2: a patient's files (Anna's list and file: hers only; level II; patients only)
    "api:file_list": API_OWN_FILES,
    "api:file_upload": API_OWN_FILES,
    "api:file_delete": API_OWN_FILES,
    "api:file_detail": API_OWN_FILES,
    "api:file_content": API_OWN_FILES,
    # TEL-2, FBK-1, SCH-3: online consultations for patients (level II); Anna's consultation is hers alone. Leaving it
    # after it ended is 409; her visit tomorrow has no room (not a video visit): 409.
    "api:consultation_line_list": "AOOOFFFFFFFFFFF",
    "api:consultation_alternatives": "AOOOFFFFFFFFFFF",
    "api:consultation_list": "AOOOFFFFFFFFFFF",
    "api:consultation_start": "AONNFFFFFFFFFFF",  # with Anna's file: nobody else's consultation may carry it
    "api:consultation_detail": API_OWN_FILES,
    "api:consultation_leave": "ACNNFFFFFFFFFFF",
    "api:consultation_socket": API_OWN_FILES,
    "api:consultation_messages": API_OWN_FILES,
    "api:consultation_survey": API_OWN_FILES,
    "api:visit_room_open": "ACNNFFFFFFFFFFF",
    # FBK-4: the help numbers, for anyone; FBK-1: rating Anna's visit of a week ago (hers alone, level II) and the
    # network (any patient whose package is in force)
    "api:help_contacts": PUBLIC,
    "api:ratable_visit_list": "AOOOFFFFFFFFFFF",
    "api:visit_rate": "AONNFFFFFFFFFFF",
    "api:network_rating_state": "AOOOOFFFFFFFFFF",
    "api:network_rate": "AOOOOFFFFFFFFFF",
    # FBK-2, FBK-3: complaints and claims — each patient's own pages and API (Anna's case: hers alone); the call
    # centre files complaints for callers and reads them; coordinators and admins handle complaints and decide claims.
    "portal:complaints": PATIENT_PAGE,
    "portal:complaint_new": PATIENT_PAGE,
    "portal:complaint": ANNAS_VISIT,
    "portal:claims": PATIENT_PAGE,
    "portal:claim_new": PATIENT_PAGE,
    "portal:claim": ANNAS_VISIT,
    "portal:claim_attachment": ANNAS_VISIT,
    "staff:complaint_new": "LFFFFFFFOFFFFOF",
    "staff:complaints": "LFFFFFFFOFFOFOF",
    "staff:complaint": "LFFFFFFFOFFOFOF",
    "staff:complaint_take": "LFFFFFFFFFFRFRF",
    "staff:complaint_answer": "LFFFFFFFFFFIFIF",  # the matrix posts forms as raw text: no answer, 422 inside
    "staff:claims": "LFFFFFFFFFFOFOF",
    "staff:claim": "LFFFFFFFFFFOFOF",
    "staff:claim_review": "LFFFFFFFFFFRFRF",
    "staff:claim_decide": "LFFFFFFFFFFIFIF",  # the matrix posts forms as raw text: no decision, 422 inside
    "staff:claim_attachment": "LFFFFFFFFFFOFOF",
    "api:complaint_list": "AOOOOFFFFFFFFFF",
    "api:complaint_file": "AONNNFFFFFFFFFF",
    "api:complaint_detail": "AONNNFFFFFFFFFF",
    "api:claim_list": "AOOOOFFFFFFFFFF",
    "api:claim_file": "AONNNFFFFFFFFFF",
    "api:claim_detail": "AONNNFFFFFFFFFF",
    # NET-3: a patient's visits cancelled by closures (patients only); the one-tap rebooking of Anna's, for her and
    # whoever books for her: the call centre, an administrator; Wola's desk is refused Mokotów's slot (F), Mokotów's
    # desk does not see a notice of Wola's closure (N).
    "api:closure_notice_list": "AOOOOFFFFFFFFFF",
    "api:closure_notice_rebook": "AONNNFNFOFFFFOF",
    # BKG-7: Anna's pregnancy-care requests — hers, the call centre's and admins' (filing again while one is open: 409);
    # coordinators read them in the console (API: 403 for filing, as reception)
    "api:pregnancy_request_list": "AONNNFFFOFFOFOF",
    "api:pregnancy_request_file": "ACNNNFFFCFFFFCF",
    # --- the SMS gateway's webhooks (a shared secret, no login) and the development-only doors
    "messaging:smsapi_inbound": "MMMMMMMMMMMMMMM",
    "messaging:smsapi_report": PUBLIC,
    "dev:sms_inbox": PUBLIC,
    "dev:sms_send_now": "RRRRRRRRRRRRRRR",
    "dev:sms_conversation": PUBLIC,
    "testbank:root": "RRRRRRRRRRRRRRR",
    "testbank:discovery": PUBLIC,
    "testbank:jwks": PUBLIC,
    "testbank:authorize": "BBBBBBBBBBBBBBB",
    "testbank:token": "MMMMMMMMMMMMMMM",
    "testbank:userinfo": "AAAAAAAAAAAAAAA",
}


def _walk(patterns: list[Any], namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = entry.namespace or ""
            if inner in SKIPPED_NAMESPACES:
                continue
            yield from _walk(entry.url_patterns, f"{namespace}{inner}:" if inner else namespace)
        elif str(entry.pattern) not in SKIPPED_PATTERNS:
            yield f"{namespace}{entry.name}", entry


def url_names() -> list[str]:
    return sorted({name for name, _ in _walk(get_resolver().url_patterns)})


def test_every_url_has_a_row_and_every_row_a_url() -> None:
    """A page or an endpoint added without its row in the matrix fails here."""
    assert set(url_names()) == set(MATRIX)
    assert all(len(row) == len(ROLES) for row in MATRIX.values()), HEADER


def kwargs_for(name: str, cast: Cast) -> dict[str, Any]:
    pattern = dict(_walk(get_resolver().url_patterns))[name]
    values: dict[str, Any] = {
        "patient_id": cast.patient.pk,
        "appointment_id": cast.visit.pk,
        "slot_id": cast.free_slot.pk,
        "request_id": cast.identity_request.pk,
        "question_id": cast.question.pk,
        "result_id": cast.result.pk if cast.result is not None else 0,
        "code": RESULT_CODE,
        "renewal_id": cast.renewal.pk if cast.renewal is not None else 0,
        "authorisation_id": cast.collection_authorisation.pk if cast.collection_authorisation is not None else 0,
        "file_id": cast.file.pk if cast.file is not None else 0,
        "consultation_id": cast.consultation.pk if cast.consultation is not None else 0,
        "closure_id": cast.closure.pk if cast.closure is not None else 0,
        "notice_id": cast.closure_notice.pk if cast.closure_notice is not None else 0,
        "pregnancy_request_id": cast.pregnancy_request.pk if cast.pregnancy_request is not None else 0,
        "care_id": cast.pregnancy_care.pk if cast.pregnancy_care is not None else 0,
        "line_code": cast.line.code if cast.line is not None else "",
        "action": "check_in",
        "outcome": "complete",
        "kind": "recommendation",
        "phone": cast.patient.mobile,
        "secret": settings.CARENET_SMS_WEBHOOK_SECRET,
        "upload_id": 0,
    }
    converters = pattern.pattern.converters
    if {"complaint_id", "claim_id", "attachment_id"} & set(converters):  # FBK-2, FBK-3: Anna's cases
        claim = Claim.objects.filter(patient=cast.patient).first()
        values["complaint_id"] = Complaint.objects.filter(patient=cast.patient).values_list("pk", flat=True).first()
        values["claim_id"] = claim.pk if claim is not None else 0
        values["attachment_id"] = claim.attachments.values_list("pk", flat=True).first() if claim is not None else 0
    return {key: values[key] for key in converters}


#: A body that would change something if the role were allowed: used to prove a refusal changes nothing.
def post_body(name: str, cast: Cast) -> tuple[Any, str]:
    renewable = cast.renewable_drug.pk if cast.renewable_drug is not None else 0
    spare_file = cast.spare_file.pk if cast.spare_file is not None else 0
    form = {
        "staff:book": {"accept_price": "on"},
        "staff:identity_confirm_phone": {"verified": "on"},
        "staff:identity_confirm_in_person": {
            "document_type": "id_card",
            "document_number": "ABC123456",
            "terms_signed": "on",
        },
        "staff:password_reset": {"two_factor_off": "on"},
        "staff:identity_review": {"action": "approve"},
        "staff:patient_no_shows": {"specialty": str(cast.visit.slot.specialty_id), "reason": "Pomyłka"},
        "portal:book": {"accept_price": "on", "patient": str(cast.patient.pk)},
        "staff:clinician_call": {"outcome": "called"},
        "staff:clinician_issue": {"recommendation-text": "Dużo pić i odpoczywać."},
        "staff:consultation_end": {"outcome": "advice", "note": "Nawadnianie."},
        "portal:identity_request": {"message": "Proszę o potwierdzenie tożsamości.", "phone_time": "rano"},
        "portal:questions": {"appointment": str(cast.past_visit.pk), "text": "Czy mogę wrócić do pracy?"},
        "staff:question_answer": {"text": "Tak, proszę odstawić lek."},
        "portal:renewal_order": {"patient": str(cast.patient.pk), "drug": str(renewable)},
        "staff:renewal_order": {"drug": str(renewable)},
        "staff:renewal_issue": {"dose": "1 tabletka rano", "quantity": "2", "reimbursement": "100%"},
        "staff:renewal_decline": {"reason": "Proszę o wizytę kontrolną."},
        "staff:collection": {
            "full_name": "Jan Nowak",
            "pesel": "44051401359",
            "scope": "all",
            "form_on_file": "on",
            "facility": str(cast.here.pk),
        },
        "staff:collection_check": {"who": "person", "pesel": "85010112345", "id_checked": "on"},
        "portal:visit_files": {"file": str(spare_file)},
        "portal:consultation_start": {"line": "interna", "mode": "chat", "attach": str(spare_file)},
        "portal:consultation_files": {"file": str(spare_file)},
        "portal:consultation_survey": {"rating": "4", "resolved": "yes", "comment": "Dziękuję."},
        "portal:visit_rate": {"score": "4", "comment": "Bardzo miła obsługa."},
        "portal:rate_us": {"score": "5", "comment": "Wygodny portal."},
        "portal:complaint_new": {"subject": "Odwołana wizyta", "text": "Nikt mnie nie uprzedził."},
        "staff:complaint_new": {"subject": "Odwołana wizyta", "text": "Pacjentka dzwoni: nikt jej nie uprzedził."},
        "staff:complaint_answer": {"text": "Przepraszamy, wyjaśniliśmy sprawę z placówką."},
        "staff:claim_decide": {"outcome": "accepted", "text": "Roszczenie uznane w całości."},
        "portal:contact_data": {
            "mobile": "600 700 800",
            "email": "nowy@example.pl",
            "street": "ul. Kwiatowa 5",
            "postcode": "00-950",
            "city": "Warszawa",
        },
        "portal:contact_data_phone_confirm": {"code": "123456"},
        "portal:consents": {"email_notices": "on", "marketing": "on"},
        "portal:closure_alternatives": {"slot": str(cast.free_slot.pk)},
        "staff:closure_new": {
            "facility": str(cast.here.pk),
            "starts_at": "2099-01-01T08:00",
            "ends_at": "2099-01-02T08:00",
            "reason": "Kwarantanna",
        },
        "staff:closure_called": {"note": "Oddzwoni"},
        "staff:pregnancy_request_new": {"name": "Anna Nowak", "phone": "601234567", "mode": "in_person"},
        "staff:pregnancy_request_book": {"slot": str(cast.free_slot.pk)},
        "staff:pregnancy_request_decline": {"reason": "Brak terminów."},
        "staff:pregnancy_request_care": {"facility": str(cast.elsewhere.pk)},
        "portal:pregnancy_request": {"name": "Anna Nowak", "phone": "601234567", "mode": "in_person"},
    }
    api = {
        "api:slot_list": {},
        "api:appointment_book": {"slot_id": cast.free_slot.pk, "patient_id": cast.patient.pk, "accept_price": True},
        # The list shares its address with booking: a refused POST there is a refused booking.
        "api:appointment_list": {"slot_id": cast.free_slot.pk, "patient_id": cast.patient.pk, "accept_price": True},
        "api:appointment_hold": {"slot_id": cast.free_slot.pk, "patient_id": cast.patient.pk},
        "api:appointment_confirm": {"accept_price": True},
        "api:appointment_reschedule": {"new_slot_id": cast.free_slot.pk, "accept_price": True},
        "api:appointment_cancel": {},
        # The list shares its address with asking: a refused POST there is a refused question.
        "api:question_list": {"appointment_id": cast.past_visit.pk, "text": "Czy mogę wrócić do pracy?"},
        "api:question_ask": {"appointment_id": cast.past_visit.pk, "text": "Czy mogę wrócić do pracy?"},
        "api:renewal_order": {"patient_id": cast.patient.pk, "drug_id": renewable},
        # The list shares its address with the order: a refused POST there is a refused order.
        "api:renewal_list": {"patient_id": cast.patient.pk, "drug_id": renewable},
        # The list shares its address with attaching: a refused POST there is a refused attachment.
        "api:visit_file_list": {"file_id": spare_file},
        "api:visit_file_attach": {"file_id": spare_file},
        "api:consultation_start": {"line_code": "interna", "mode": "chat", "file_ids": [spare_file]},
        # The list shares its address with starting: a refused POST there is a refused start.
        "api:consultation_list": {"line_code": "interna", "mode": "chat"},
        "api:consultation_survey": {"rating": 4, "resolved": "yes"},
        "api:visit_rate": {"appointment_id": cast.past_visit.pk, "score": 4, "comment": "Bardzo miła obsługa."},
        # The list shares its address with rating: a refused POST there is a refused rating.
        "api:ratable_visit_list": {"appointment_id": cast.past_visit.pk, "score": 4},
        "api:network_rate": {"score": 5, "comment": "Wygodny portal."},
        "api:network_rating_state": {"score": 5},
        # The list shares its address with filing: a refused POST there is a refused complaint (FBK-2).
        "api:complaint_list": {"patient_id": cast.patient.pk, "subject": "Odwołana wizyta", "text": "Bez uprzedzenia."},
        "api:complaint_file": {"patient_id": cast.patient.pk, "subject": "Odwołana wizyta", "text": "Bez uprzedzenia."},
        "api:contact_data": {"email": "nowy@example.pl"},
        "api:contact_data_phone": {"mobile": "600 700 800"},
        "api:contact_data_phone_confirm": {"code": "123456"},
        # The reads share their addresses with the changes: a refused POST there changes nothing either.
        "api:consents": {"sms_notices": False, "marketing": True},
        "api:contact_data_update": {"email": "nowy@example.pl", "street": "", "postcode": "", "city": ""},
        "api:consents_update": {"sms_notices": False, "marketing": True},
        "api:closure_notice_rebook": {"slot_id": cast.free_slot.pk},
        # The list's address takes only GET: a POST there is refused before anything is read.
        "api:closure_notice_list": {"slot_id": cast.free_slot.pk},
        "api:pregnancy_request_file": _pregnancy_body(cast),
        # The list shares its address with filing: a refused POST there is a refused request.
        "api:pregnancy_request_list": _pregnancy_body(cast),
    }
    upload = {"description": "Zmiana na skórze", "file": SimpleUploadedFile("x.png", png_bytes())}
    multipart = {
        # The list shares its address with the upload: a refused POST there is a refused upload (FIL-1).
        "api:file_list": {**upload, "accept_terms": "true", "patient_id": str(cast.patient.pk)},
        "api:file_upload": {**upload, "accept_terms": "true", "patient_id": str(cast.patient.pk)},
        "portal:files": {**upload, "accept_terms": "on"},
        # FBK-3: a claim with one document (the list shares its address with submitting).
        "api:claim_list": _claim_upload(cast),
        "api:claim_file": _claim_upload(cast),
        "portal:claim_new": _claim_upload(cast),
        # PKG-8: a roster file adding a person to Anna's contract (checked and kept as an upload if allowed).
        "staff:roster_upload": {
            "file": SimpleUploadedFile(
                "lista.csv",
                b"first_name;last_name;pesel;tier;activation_date;paid_through;mobile\n"
                + f"Jan;Nowy;44051401359;{cast.patient.enrolments.get().tier.code};2026-01-01;2026-12-31;"
                "601234567\n".encode(),
            ),
            "mode": "changes",
        },
    }
    if name in multipart:
        return multipart[name], MULTIPART_CONTENT
    if name in api:
        return json.dumps(api[name]), "application/json"
    return form.get(name, {}), "application/x-www-form-urlencoded"


def _claim_upload(cast: Cast) -> dict[str, Any]:
    return {
        "subject": "Zwrot kosztów",
        "description": "Faktura za rezonans.",
        "documents": SimpleUploadedFile("faktura.png", png_bytes()),
        "patient_id": str(cast.patient.pk),
    }


def _pregnancy_body(cast: Cast) -> dict[str, Any]:
    return {
        "patient_id": cast.patient.pk,
        "name": "Anna Nowak",
        "phone": "601234567",
        "wanted_city_id": cast.elsewhere.city_id,
        "mode": "telemedicine",
    }


def fingerprint() -> str:
    """Every table's row count, every visit's status, every slot's flag, every account's password and level."""
    digest = hashlib.sha256()
    with connection.cursor() as cursor:
        for model in apps.get_models():
            if model._meta.managed and not model._meta.proxy and model._meta.db_table != "django_session":
                cursor.execute(f'SELECT COUNT(*) FROM "{model._meta.db_table}"')  # noqa: S608 - table names of our models
                digest.update(f"{model._meta.label}={cursor.fetchone()[0]};".encode())
    for rows in (
        Appointment.objects.order_by("pk").values_list("pk", "status", "cancelled_at"),
        Slot.objects.order_by("pk").values_list("pk", "is_free"),
        Patient.objects.order_by("pk").values_list("pk", "account_level"),
        User.objects.order_by("pk").values_list("pk", "password", "must_change_password", "is_active"),
        IdentityRequest.objects.order_by("pk").values_list("pk", "status"),
    ):
        digest.update(repr(list(rows)).encode())
    return digest.hexdigest()


LOGIN_PATHS = ("/logowanie/", "/staff/login/", "/admin/login/")

#: Addresses tried with another method than GET (they change something, or take only that method).
METHODS = {
    "portal:logout": "post",
    "staff:logout": "post",
    "portal:identity_bank_start": "post",
    "portal:identity_request": "post",
    "portal:password_change": "post",
    "portal:two_factor_disable": "post",
    "staff:identity_review": "post",
    "staff:reception_act": "post",
    "staff:reception_undo": "post",
    "staff:clinician_call": "post",
    "staff:clinician_visit_close": "post",
    "staff:clinician_issue": "post",
    "staff:consultation_take_next": "post",
    "staff:consultation_token": "post",
    "staff:consultation_end": "post",
    "staff:consultation_join": "post",
    "dev:sms_send_now": "post",
    "api:token_create": "post",
    "api:token_delete": "delete",
    "api:appointment_book": "post",
    "api:appointment_hold": "post",
    "api:appointment_confirm": "post",
    "api:appointment_reschedule": "post",
    "api:appointment_cancel": "post",
    "api:closure_notice_rebook": "post",
    "staff:closure_reopen": "post",
    "staff:closure_called": "post",
    "staff:question_answer": "post",
    "api:question_ask": "post",
    "api:renewal_order": "post",
    "api:file_upload": "post",
    "api:file_delete": "delete",
    "staff:renewal_issue": "post",
    "staff:renewal_decline": "post",
    "api:collection_authorisation_revoke": "post",
    "portal:visit_files": "post",
    "portal:visit_file_detach": "post",
    "api:visit_file_attach": "post",
    "api:visit_file_detach": "delete",
    "portal:consultation_files": "post",
    "portal:consultation_file_detach": "post",
    "portal:consultation_survey": "post",
    "portal:consultation_token": "post",
    "portal:visit_room": "post",
    "api:consultation_start": "post",
    "api:consultation_leave": "post",
    "api:consultation_socket": "post",
    "api:consultation_survey": "post",
    "api:visit_room_open": "post",
    "api:visit_rate": "post",
    "api:network_rate": "post",
    "staff:complaint_take": "post",
    "staff:complaint_answer": "post",
    "staff:claim_review": "post",
    "staff:claim_decide": "post",
    "api:complaint_file": "post",
    "api:claim_file": "post",
    "api:contact_data_phone": "post",
    "api:contact_data_phone_confirm": "post",
    "api:contact_data_update": "patch",
    "api:consents_update": "put",
    "staff:pregnancy_request_book": "post",
    "staff:pregnancy_request_decline": "post",
    "staff:pregnancy_request_care": "post",
    "staff:pregnancy_care_visit": "post",
    "staff:pregnancy_care_end": "post",
    "api:pregnancy_request_file": "post",
}


def query_for(name: str, cast: Cast) -> dict[str, Any]:
    """The API's reads name Anna (staff must name the patient; a patient may name themself)."""
    enrolment = cast.patient.enrolments.get()
    return {
        "api:slot_list": {"specialty": "interna", "patient_id": cast.patient.pk},
        "api:appointment_list": {"patient_id": cast.patient.pk},
        "api:ecard_verify_endpoint": {"number": enrolment.ecard_number},
        "api:referral_list": {"patient_id": cast.patient.pk},
        "api:prescription_list": {"patient_id": cast.patient.pk},
        "api:recommendation_list": {"patient_id": cast.patient.pk},
        "api:sick_leave_list": {"patient_id": cast.patient.pk},
        "api:renewal_list": {"patient_id": cast.patient.pk},
        "api:renewal_drugs": {"patient_id": cast.patient.pk},
        "api:result_list": {"patient_id": cast.patient.pk},
        "api:analyte_history": {"patient_id": cast.patient.pk},
        "api:collection_authorisation_list": {"patient_id": cast.patient.pk},
        "staff:collection_result_pdf": {"authorisation": cast.collection_authorisation.pk}
        if cast.collection_authorisation is not None
        else {},
        "api:file_list": {"patient_id": cast.patient.pk},
        "api:pregnancy_request_list": {"patient_id": cast.patient.pk},
        "portal:consultation_start": {"line": "interna"},
        "api:package_detail": {"patient_id": cast.patient.pk},
        "staff:roster": {"contract": enrolment.contract_id},
        "staff:roster_export": {"contract": enrolment.contract_id},
    }.get(name, {})


def outcome(response: Any) -> str:
    status = response.status_code
    if status in (301, 302, 303):
        target = response.headers.get("Location", "")
        return "L" if any(path in target for path in LOGIN_PATHS) else "R"
    if 200 <= status < 300:
        return "O"
    return {400: "B", 401: "A", 403: "F", 404: "N", 405: "M", 409: "C", 422: "I"}.get(status, str(status))


def ask(name: str, cast: Cast, role: str, client: Client | None = None) -> Any:
    """One request of ``role`` to ``name`` with its method and body."""
    url = reverse(name, kwargs=kwargs_for(name, cast))
    client = client or cast.client(role)
    method = METHODS.get(name, "get")
    if method == "get":
        return client.get(url, query_for(name, cast))
    body, content_type = post_body(name, cast)
    return getattr(client, method)(url, body, content_type=content_type)


def actual_row(name: str, cast: Cast) -> str:
    cells = []
    for role in ROLES:
        with transaction.atomic():  # each role meets the cast as it was built
            cells.append(outcome(ask(name, cast, role)))
            transaction.set_rollback(True)
    return "".join(cells)


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_each_role_gets_what_the_matrix_says(name: str, cast: Cast) -> None:
    got = actual_row(name, cast)
    assert got == MATRIX[name], f"{name}: expected {MATRIX[name]} got {got} ({HEADER})"


DENIALS = {"L", "A", "F", "N"}


@pytest.mark.parametrize("name", sorted(name for name, row in MATRIX.items() if DENIALS & set(row)))
def test_a_denied_request_changes_nothing(name: str, cast: Cast) -> None:
    """SEC: every refused request — GET, and POST with a body that would change something — leaves every table,
    every visit, every account, the read record and the outbox as they were."""
    url = reverse(name, kwargs=kwargs_for(name, cast))
    body, content_type = post_body(name, cast)
    method = METHODS.get(name, "post")
    denied = [role for role, expected in zip(ROLES, MATRIX[name], strict=True) if expected in DENIALS]
    clients = {role: cast.client(role) for role in denied}  # logged in before the count: a login is no change
    before = fingerprint()
    for role in denied:
        client = clients[role]
        assert outcome(ask(name, cast, role, client)) in DENIALS
        answer = getattr(client, "post" if method == "get" else method)(url, body, content_type=content_type)
        assert outcome(answer) in DENIALS | {"M"}, (name, role, answer.status_code)
        assert fingerprint() == before, f"{name}: a refused request by {role} changed the database"


# --- The back office: Django's admin, every address without an argument × every role ---------------------------

#: The roles the permission table lets into the back office (BACK_OFFICE); everyone else stays at its login page.
BACK_OFFICE_ROLES = {"admin", "coordinator"}


def admin_url_names() -> list[str]:
    return sorted(
        name
        for name, pattern in _walk_admin(get_resolver().url_patterns)
        if not pattern.pattern.converters and not pattern.pattern.regex.groupindex
    )


def _walk_admin(patterns: list[Any], namespace: str = "") -> Iterator[tuple[str, URLPattern]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = entry.namespace or ""
            yield from _walk_admin(entry.url_patterns, f"{namespace}{inner}:" if inner else namespace)
        elif namespace.startswith("admin:"):
            yield f"{namespace}{entry.name}", entry


def test_the_back_office_has_addresses_to_check() -> None:
    names = admin_url_names()
    assert "admin:index" in names and "admin:accounts_patient_changelist" in names and len(names) > 50


@pytest.mark.parametrize("name", admin_url_names())
def test_only_the_back_office_roles_get_past_its_gate(name: str, cast: Cast) -> None:
    """Every back-office address: outside the table's BACK_OFFICE roles, a login page, 403 or 404 — never the page;
    inside, never a server error."""
    url = reverse(name)
    for role in ROLES:
        answer = cast.client(role).get(url)
        got = outcome(answer)
        if role in BACK_OFFICE_ROLES:
            assert answer.status_code < 500, (name, role, answer.status_code)
        elif name == "admin:login":  # the door itself: its form, or on to where the login leads
            assert got in {"O", "R"}, (name, role, got)
        elif name == "admin:logout":  # leaving is open to anyone (and changes nothing of a patient's)
            assert got in {"R", "M", "L"}, (name, role, got)
        else:
            assert got in {"L", "F", "N", "M"}, (name, role, got)


@pytest.mark.parametrize("name", [name for name in admin_url_names() if name.endswith("_add")])
def test_a_refused_back_office_form_changes_nothing(name: str, cast: Cast) -> None:
    """A POST to an "add" form by anyone outside the back office (with plausible fields) stores nothing."""
    outsiders = [role for role in ROLES if role not in BACK_OFFICE_ROLES]
    clients = {role: cast.client(role) for role in outsiders}
    body = {"name": "x", "code": "x", "username": "x", "patient": str(cast.patient.pk), "reason": "x"}
    before = fingerprint()
    for role in outsiders:
        answer = clients[role].post(reverse(name), body)
        assert outcome(answer) in {"L", "F", "N", "M"}, (name, role, answer.status_code)
    assert fingerprint() == before, name

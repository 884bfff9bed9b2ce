from django.contrib.auth import views as auth_views
from django.urls import path

from carenet.staff import (
    account,
    clinician,
    closures,
    collection,
    complaints,
    consultations,
    ecard,
    files,
    identity,
    network_figures,
    pregnancy,
    questions,
    ratings,
    reception,
    renewals,
    results,
    roster,
    two_factor,
    views,
)

app_name = "staff"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    # BEY-4: the coordinators' dashboard of the network's figures, and each figure's table as CSV.
    path("network/", network_figures.network_figures, name="dashboard_network"),
    path("network/figures.csv", network_figures.network_figures_csv, name="dashboard_network_csv"),
    path("login/", views.StaffLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("login/code/", two_factor.verify, name="two_factor"),
    path("login/authenticator/", two_factor.enrol, name="two_factor_enrol"),
    path("password/", account.password_change, name="password_change"),
    path("patients/", views.patients, name="patients"),
    # FBK-1: the ratings, the comments and the online consultations' survey, for coordinators.
    path("ratings/", ratings.ratings, name="ratings"),
    path("patients/<int:patient_id>/", views.patient, name="patient"),
    path("patients/<int:patient_id>/find-a-visit/", views.patient_search, name="patient_search"),
    path("patients/<int:patient_id>/book/<int:slot_id>/", views.book, name="book"),
    path("appointments/<int:appointment_id>/cancel/", views.cancel, name="cancel"),
    path("e-card/", ecard.ecard_verify_page, name="ecard_verify"),
    path("patients/<int:patient_id>/identity/phone/", identity.confirm_by_phone, name="identity_confirm_phone"),
    path("patients/<int:patient_id>/identity/desk/", identity.confirm_in_person, name="identity_confirm_in_person"),
    path("patients/<int:patient_id>/password-reset/", identity.password_reset, name="password_reset"),
    path("identity-requests/", identity.queue, name="identity_queue"),
    path("identity-requests/<int:request_id>/", identity.review, name="identity_review"),
    path("reception/", reception.day_list, name="reception"),
    path("reception/entrance/", reception.entrance, name="reception_entrance"),
    path("reception/<int:appointment_id>/undo-check-in/", reception.undo_check_in, name="reception_undo"),
    path("reception/<int:appointment_id>/<str:action>/", reception.act, name="reception_act"),
    path("patients/<int:patient_id>/no-shows/", reception.patient_no_shows, name="patient_no_shows"),
    # The clinician's console (CLN-5, CLN-6, TEL-1; issue 11); their day list is the dashboard.
    path("calls/", clinician.calls, name="clinician_calls"),
    path("visits/<int:appointment_id>/", clinician.visit_page, name="clinician_visit"),
    path("visits/<int:appointment_id>/call/", clinician.call, name="clinician_call"),
    path("visits/<int:appointment_id>/close/<str:outcome>/", clinician.visit_close, name="clinician_visit_close"),
    path("visits/<int:appointment_id>/issue/<str:kind>/", clinician.issue, name="clinician_issue"),
    path("drugs/", clinician.drugs, name="clinician_drugs"),
    # Online consultations (TEL-2, SCH-3; issue 13): the queue on duty, the room, a booked video visit's "Join".
    path("consultations/", consultations.console, name="consultations"),
    path("consultations/next/", consultations.take_next, name="consultation_take_next"),
    path("consultations/<int:consultation_id>/", consultations.room, name="consultation_room"),
    path("consultations/<int:consultation_id>/token/", consultations.token, name="consultation_token"),
    path("consultations/<int:consultation_id>/end/", consultations.end, name="consultation_end"),
    path("visits/<int:appointment_id>/room/", consultations.join_visit, name="consultation_join"),
    # CLN-3: the results of the exams the clinician ordered, and of a patient they have a visit with (CLN-6).
    path("results/", results.results, name="results"),
    path("results/<int:result_id>/", results.result, name="result"),
    path("results/<int:result_id>/pdf/", results.result_pdf, name="result_pdf"),
    path("files/<int:file_id>/", files.patient_file, name="patient_file"),  # FIL-1, TEL-3
    path("questions/", questions.inbox, name="questions"),
    path("questions/<int:question_id>/answer/", questions.answer, name="question_answer"),
    path("patients/<int:patient_id>/renewal/", renewals.renewal_order, name="renewal_order"),
    path("renewals/", renewals.renewal_queue, name="renewals"),
    path("renewals/<int:renewal_id>/issue/", renewals.renewal_issue, name="renewal_issue"),
    path("renewals/<int:renewal_id>/decline/", renewals.renewal_decline, name="renewal_decline"),
    # CLN-3: authorisations to collect results, and handing results over at the desk.
    path("patients/<int:patient_id>/collection/", collection.collection, name="collection"),
    path("collection/<int:authorisation_id>/revoke/", collection.collection_revoke, name="collection_revoke"),
    path("patients/<int:patient_id>/hand-over/", collection.collection_check, name="collection_check"),
    path(
        "patients/<int:patient_id>/hand-over/<int:result_id>/pdf/",
        collection.collection_result_pdf,
        name="collection_result_pdf",
    ),
    # FBK-2, FBK-3: complaints (filed for a caller, the queue, taking and answering) and insurance claims (the
    # queue, the review, the decision, the documents).
    path("patients/<int:patient_id>/complaint/", complaints.complaint_new, name="complaint_new"),
    path("complaints/", complaints.complaints, name="complaints"),
    path("complaints/<int:complaint_id>/", complaints.complaint, name="complaint"),
    path("complaints/<int:complaint_id>/take/", complaints.complaint_take, name="complaint_take"),
    path("complaints/<int:complaint_id>/answer/", complaints.complaint_answer, name="complaint_answer"),
    path("claims/", complaints.claims, name="claims"),
    path("claims/<int:claim_id>/", complaints.claim, name="claim"),
    path("claims/<int:claim_id>/review/", complaints.claim_review, name="claim_review"),
    path("claims/<int:claim_id>/decide/", complaints.claim_decide, name="claim_decide"),
    path("claims/documents/<int:attachment_id>/", complaints.claim_attachment, name="claim_attachment"),
    # NET-3: closures with rebooking (the coordinator), and the call centre's list of moved patients to call.
    path("closures/", closures.closures, name="closures"),
    path("closures/new/", closures.closure_new, name="closure_new"),
    path("closures/<int:closure_id>/", closures.closure, name="closure"),
    path("closures/<int:closure_id>/reopen/", closures.closure_reopen, name="closure_reopen"),
    path("closures/calls/", closures.closure_calls, name="closure_calls"),
    path("closures/calls/<int:notice_id>/called/", closures.closure_called, name="closure_called"),
    # BKG-7: pregnancy care — the call centre's request form, the coordinators' queue and its resolutions, where a
    # pregnancy is led (recorded from a visit or a request, ended).
    path("patients/<int:patient_id>/pregnancy-request/", pregnancy.pregnancy_request_new, name="pregnancy_request_new"),
    path("pregnancy-requests/", pregnancy.pregnancy_requests, name="pregnancy_requests"),
    path("pregnancy-requests/<int:pregnancy_request_id>/", pregnancy.pregnancy_request, name="pregnancy_request"),
    path(
        "pregnancy-requests/<int:pregnancy_request_id>/book/",
        pregnancy.pregnancy_request_book,
        name="pregnancy_request_book",
    ),
    path(
        "pregnancy-requests/<int:pregnancy_request_id>/decline/",
        pregnancy.pregnancy_request_decline,
        name="pregnancy_request_decline",
    ),
    path(
        "pregnancy-requests/<int:pregnancy_request_id>/care/",
        pregnancy.pregnancy_request_care,
        name="pregnancy_request_care",
    ),
    path("visits/<int:appointment_id>/pregnancy-care/", pregnancy.pregnancy_care_visit, name="pregnancy_care_visit"),
    path("pregnancy-care/<int:care_id>/end/", pregnancy.pregnancy_care_end, name="pregnancy_care_end"),
    # PKG-3, PKG-8: the roster of a contract, kept by its employer's or insurer's contact.
    path("roster/", roster.roster, name="roster"),
    path("roster/export/", roster.roster_export, name="roster_export"),
    path("roster/upload/", roster.roster_upload, name="roster_upload"),
    path("roster/upload/<int:upload_id>/", roster.roster_upload_report, name="roster_upload_report"),
]

from django.contrib.auth import views as auth_views
from django.urls import path
from django.utils.translation import gettext_lazy as _

from carenet.portal import (
    account,
    arrival,
    attachments,
    closures,
    collection,
    complaints,
    consultations,
    contact,
    documents,
    ecard,
    files,
    identity,
    package,
    pregnancy,
    questions,
    ratings,
    reads,
    registration,
    renewals,
    results,
    views,
    visits,
)

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path(_("facilities/"), views.facilities, name="facilities"),
    path(_("login/"), visits.PatientLoginView.as_view(), name="login"),
    path(_("logout/"), auth_views.LogoutView.as_view(), name="logout"),
    path(_("login/code/"), account.login_code, name="login_code"),
    path(_("account/"), account.account, name="account"),
    path(_("account/password/"), account.password_change, name="password_change"),
    path(_("account/two-step-login/"), account.two_factor_enable, name="two_factor_enable"),
    path(_("account/two-step-login/off/"), account.two_factor_disable, name="two_factor_disable"),
    # ACC-8: "Twoje dane" (a new mobile confirmed by a code) and "Twoje zgody".
    path(_("account/your-data/"), contact.contact_data, name="contact_data"),
    path(_("account/your-data/phone-code/"), contact.contact_data_phone_confirm, name="contact_data_phone_confirm"),
    path(_("account/consents/"), contact.consents, name="consents"),
    path(_("who-viewed-my-data/"), reads.reads_of_my_data, name="reads_of_my_data"),
    path(_("register/"), registration.register, name="register"),
    path(_("first-password/"), registration.first_password, name="first_password"),
    path(_("set-password/"), registration.set_password, name="set_password"),
    path(_("find-a-visit/"), visits.search, name="search"),
    path(_("find-a-visit/<int:slot_id>/book/"), visits.book, name="book"),
    path(_("my-visits/"), visits.visits, name="visits"),
    path(_("my-visits/<int:appointment_id>/"), visits.visit, name="visit"),
    path(_("my-visits/<int:appointment_id>/cancel/"), visits.cancel, name="cancel"),
    # FBK-1: "Oceń wizytę" (7 days after a completed visit, once) and "Oceń nas" (at any time).
    path(_("my-visits/<int:appointment_id>/rate/"), ratings.visit_rate, name="visit_rate"),
    path(_("rate-us/"), ratings.rate_us, name="rate_us"),
    # TEL-3: files attached to a visit before it starts.
    path(_("my-visits/<int:appointment_id>/files/"), attachments.attach, name="visit_files"),
    path(
        _("my-visits/<int:appointment_id>/files/<int:file_id>/detach/"),
        attachments.detach,
        name="visit_file_detach",
    ),
    # SCH-3: "Wejdź do pokoju wizyty online" — the room of a booked video visit.
    path(_("my-visits/<int:appointment_id>/room/"), consultations.visit_room, name="visit_room"),
    path(_("my-visits/<int:appointment_id>/reschedule/"), visits.reschedule, name="reschedule"),
    path(
        _("my-visits/<int:appointment_id>/reschedule/<int:slot_id>/"),
        visits.reschedule_confirm,
        name="reschedule_confirm",
    ),
    # NET-3: a visit cancelled because its facility closed, and the alternatives to rebook with one tap.
    path(_("closed-facility/<int:notice_id>/"), closures.closure_alternatives, name="closure_alternatives"),
    path(_("confirm-identity/"), identity.identity, name="identity"),
    path(_("confirm-identity/request/"), identity.identity_request, name="identity_request"),
    path(_("confirm-identity/bank/"), identity.bank_start, name="identity_bank_start"),
    path(_("confirm-identity/bank/return/"), identity.bank_callback, name="identity_bank_callback"),
    path(_("e-card/"), ecard.ecard, name="ecard"),
    path(_("your-package/"), package.package, name="package"),  # PKG-7
    path(_("e-card/pdf/"), ecard.ecard_pdf, name="ecard_pdf"),
    path(_("check-in/"), arrival.checkin, name="checkin"),
    # ACC-4, CLN-1, CLN-3, CLN-5: "Leczenie" — the patient's clinical documents (level II).
    path(_("treatment/"), documents.treatment, name="treatment"),
    path(_("treatment/referrals/"), documents.referrals, name="referrals"),
    path(_("medicines/"), documents.prescriptions, name="prescriptions"),
    path(_("treatment/recommendations/"), documents.recommendations, name="recommendations"),
    path(_("treatment/sick-leave/"), documents.sick_leaves, name="sick_leaves"),
    # CLN-3: "Wyniki" — laboratory results and imaging reports (level II).
    path(_("results/"), results.results, name="results"),
    path(_("results/<int:result_id>/"), results.result, name="result"),
    path(_("results/<int:result_id>/pdf/"), results.result_pdf, name="result_pdf"),
    path(_("results/history/<str:code>/"), results.analyte_history, name="analyte_history"),
    path(_("ask-the-doctor/"), questions.questions, name="questions"),
    path(_("medicines/order/"), renewals.renewal_order, name="renewal_order"),
    # CLN-3: who may collect the results (recorded at a centre; revoked here).
    path(
        _("treatment/collection-authorisations/"),
        collection.collection_authorisations,
        name="collection_authorisations",
    ),
    path(
        _("treatment/collection-authorisations/<int:authorisation_id>/revoke/"),
        collection.collection_authorisation_revoke,
        name="collection_authorisation_revoke",
    ),
    # FIL-1, FIL-2: "Twoje pliki" — the patient's files (level II), under "My account".
    path(_("account/files/"), files.files, name="files"),
    path(_("account/files/<int:file_id>/"), files.file_download, name="file_download"),
    path(_("account/files/<int:file_id>/delete/"), files.file_delete, name="file_delete"),
    # FBK-2, FBK-3: "Reklamacje" and "Roszczenia" — complaints and insurance claims, tracked to an answer or decision.
    path(_("complaints/"), complaints.complaints, name="complaints"),
    path(_("complaints/new/"), complaints.complaint_new, name="complaint_new"),
    path(_("complaints/<int:complaint_id>/"), complaints.complaint, name="complaint"),
    path(_("insurance-claims/"), complaints.claims, name="claims"),
    path(_("insurance-claims/new/"), complaints.claim_new, name="claim_new"),
    path(_("insurance-claims/<int:claim_id>/"), complaints.claim, name="claim"),
    path(
        _("insurance-claims/documents/<int:attachment_id>/"),
        complaints.claim_attachment,
        name="claim_attachment",
    ),
    # TEL-2, TEL-3, FBK-1: "Konsultacje online" — on-demand consultations (level II).
    path(_("online-consultations/"), consultations.consultations, name="consultations"),
    path(_("online-consultations/start/"), consultations.consultation_start, name="consultation_start"),
    path(_("online-consultations/<int:consultation_id>/"), consultations.consultation, name="consultation"),
    path(
        _("online-consultations/<int:consultation_id>/leave/"),
        consultations.consultation_leave,
        name="consultation_leave",
    ),
    path(
        _("online-consultations/<int:consultation_id>/files/"),
        consultations.consultation_files,
        name="consultation_files",
    ),
    path(
        _("online-consultations/<int:consultation_id>/files/<int:file_id>/detach/"),
        consultations.consultation_file_detach,
        name="consultation_file_detach",
    ),
    path(
        _("online-consultations/<int:consultation_id>/survey/"),
        consultations.consultation_survey,
        name="consultation_survey",
    ),
    path(
        _("online-consultations/<int:consultation_id>/token/"),
        consultations.consultation_token,
        name="consultation_token",
    ),
    # BKG-7: "Opieka w ciąży" — where the pregnancy is led and the request for pregnancy care elsewhere.
    path(_("pregnancy-care/"), pregnancy.pregnancy_request, name="pregnancy_request"),
]

"""CLN-3 in the portal: "Upoważnienia do odbioru wyników" — the patient sees who may collect their results and their
children's (PESEL masked), nobody else's; revokes with a confirmation, effective at once; level II only."""

from __future__ import annotations

import pytest
from django.urls import reverse

from carenet.accounts.models import PatientRead
from carenet.core import clock
from carenet.results import authorisations
from carenet.results.models import CollectionAuthorisation
from carenet.results.tests.factories import CollectionAuthorisationFactory
from tests.cast import Cast, build_cast, with_collection

pytestmark = pytest.mark.django_db


@pytest.fixture
def cast(db: None) -> Cast:
    return with_collection(build_cast())


def test_the_patient_sees_their_authorisations_with_the_pesel_masked(cast: Cast) -> None:
    ewa = cast.collection_authorisation
    assert ewa is not None
    CollectionAuthorisationFactory(patient=cast.other_patient, full_name="Obca Osoba", facility=cast.here)
    html = cast.client("patient").get(reverse("portal:collection_authorisations")).content.decode()
    assert f'data-authorisation="{ewa.pk}"' in html and "Ewa Nowak" in html and cast.here.name in html
    assert "•••••••2345" in html and ewa.pesel not in html
    assert "Obca Osoba" not in html
    assert reverse("portal:collection_authorisation_revoke", args=[ewa.pk]) in html


def test_a_guardian_sees_their_childs_and_the_read_is_recorded(cast: Cast) -> None:
    childs = CollectionAuthorisationFactory(patient=cast.child, full_name="Babcia Mazur", facility=cast.here)
    html = cast.client("guardian").get(reverse("portal:collection_authorisations")).content.decode()
    assert f'data-authorisation="{childs.pk}"' in html and "Ewa Nowak" not in html
    assert PatientRead.objects.filter(patient=cast.child, what="collection_auth", door="portal").count() == 1


def test_the_treatment_page_links_to_it(cast: Cast) -> None:
    html = cast.client("patient").get(reverse("portal:treatment")).content.decode()
    assert reverse("portal:collection_authorisations") in html


def test_the_patient_revokes_and_the_desk_refuses_at_once(cast: Cast) -> None:
    ewa = cast.collection_authorisation
    assert ewa is not None
    client = cast.client("patient")
    url = reverse("portal:collection_authorisation_revoke", args=[ewa.pk])
    assert client.get(url).status_code == 200
    assert CollectionAuthorisation.objects.get(pk=ewa.pk).revoked_at is None
    answer = client.post(url)
    assert answer.status_code == 302 and answer.headers["Location"] == reverse("portal:collection_authorisations")
    ewa.refresh_from_db()
    assert ewa.revoked_at is not None and ewa.revoked_by_id == cast.patient.user_id
    assert not authorisations.authorisation_check(patient=cast.patient, pesel=ewa.pesel, on=clock.today()).authorised
    html = client.get(reverse("portal:collection_authorisations")).content.decode()
    assert 'data-status="revoked"' in html and url not in html
    assert client.post(url).status_code == 302  # twice: the same revocation
    assert CollectionAuthorisation.objects.get(pk=ewa.pk).revoked_at == ewa.revoked_at


@pytest.mark.parametrize("role", ["other_patient", "guardian"])
def test_another_familys_authorisation_does_not_exist(cast: Cast, role: str) -> None:
    ewa = cast.collection_authorisation
    assert ewa is not None
    url = reverse("portal:collection_authorisation_revoke", args=[ewa.pk])
    assert cast.client(role).get(url).status_code == 404
    assert cast.client(role).post(url).status_code == 404
    assert CollectionAuthorisation.objects.get(pk=ewa.pk).revoked_at is None


def test_a_level_one_account_is_told_to_confirm_its_identity(cast: Cast) -> None:
    CollectionAuthorisationFactory(patient=cast.level_one, full_name="Jan Lis", facility=cast.here)
    answer = cast.client("level_one").get(reverse("portal:collection_authorisations"))
    assert answer.status_code == 403 and "Jan Lis" not in answer.content.decode()

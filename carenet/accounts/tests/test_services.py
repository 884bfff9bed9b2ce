"""ACC-1 / ACC-2 through the service every door uses: bad input → a clear error and nothing stored."""

from __future__ import annotations

import pytest

from carenet.accounts import services
from carenet.accounts.models import Patient
from carenet.core.errors import Conflict, ValidationFailed

pytestmark = pytest.mark.django_db


def test_patient_create_derives_birth_date_and_sex_and_normalises_mobile() -> None:
    patient = services.patient_create(
        first_name=" Anna ", last_name="Kowalska", pesel="02270803624", mobile="600 100 200", email="a@example.pl"
    )
    assert (patient.first_name, str(patient.birth_date), patient.sex, patient.mobile) == (
        "Anna",
        "2002-07-08",
        "F",
        "+48600100200",
    )


@pytest.mark.parametrize(
    ("pesel", "mobile", "code"),
    [
        ("02270803627", "600100200", "pesel_checksum"),
        ("0227080362", "600100200", "pesel_format"),
        ("02270803624", "22 100 20 30", "phone_not_mobile"),
        ("02270803624", "", "phone_required"),
    ],
)
def test_acc1_bad_input_is_refused_and_nothing_is_stored(pesel: str, mobile: str, code: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        services.patient_create(first_name="Anna", last_name="Kowalska", pesel=pesel, mobile=mobile)
    assert caught.value.code == code
    assert str(caught.value.message)  # a sentence a person can read
    assert not Patient.objects.exists()


def test_the_same_pesel_twice_is_a_conflict() -> None:
    services.patient_create(first_name="Anna", last_name="Kowalska", pesel="02270803624", mobile="600100200")
    with pytest.raises(Conflict):
        services.patient_create(first_name="Anna", last_name="Nowak", pesel="02270803624", mobile="600100201")
    assert Patient.objects.count() == 1


def test_a_child_may_have_no_mobile_when_a_guardian_acts_for_them() -> None:
    guardian = services.patient_create(first_name="Anna", last_name="Kowalska", pesel="90090515836", mobile="600100200")
    from stdnum.pl.pesel import calc_check_digit

    body = "1526010000"  # born 1 June 2015
    child = services.patient_create(
        first_name="Ola", last_name="Kowalska", pesel=body + calc_check_digit(body), mobile="", guardian=guardian
    )
    assert child.guardian == guardian and child.mobile == ""


def test_polish_message_by_default() -> None:
    from django.utils import translation

    with translation.override("pl"), pytest.raises(ValidationFailed) as caught:
        services.patient_create(first_name="A", last_name="B", pesel="02270803627", mobile="600100200")
    assert "PESEL" in str(caught.value.message)

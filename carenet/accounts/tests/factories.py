from __future__ import annotations

import datetime as dt

import factory

from carenet.accounts.models import Patient, User


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    role = User.Role.PATIENT
    password = factory.django.Password("correct-horse-battery")


class PatientFactory(factory.django.DjangoModelFactory):
    """An adult patient with a portal login at level II and a Polish mobile (E.164)."""

    class Meta:
        model = Patient

    user = factory.SubFactory(UserFactory)
    first_name = "Anna"
    last_name = factory.Sequence(lambda n: f"Nowak{n}")
    pesel = factory.Sequence(lambda n: f"8501{n:07d}")
    birth_date = dt.date(1985, 1, 1)
    sex = Patient.Sex.FEMALE
    mobile = factory.Sequence(lambda n: f"+48501{n:06d}")
    account_level = Patient.Level.FULL

    class Params:
        child = factory.Trait(
            user=None, first_name="Zosia", mobile="", birth_date=dt.date(2018, 5, 5), sex=Patient.Sex.FEMALE
        )

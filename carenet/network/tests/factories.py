from __future__ import annotations

import factory

from carenet.network.models import City, Clinician, Facility, Room, Service, Specialty


class CityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = City
        django_get_or_create = ("name",)

    name = factory.Sequence(lambda n: f"Miasto {n}")
    voivodeship = "mazowieckie"


class FacilityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Facility

    code = factory.Sequence(lambda n: f"facility-{n}")
    name = factory.Sequence(lambda n: f"CareNet Centrum Medyczne {n}")
    kind = Facility.Kind.OWN
    brand = Facility.Brand.CENTRE
    city = factory.SubFactory(CityFactory)
    address = factory.Sequence(lambda n: f"ul. Marszałkowska {n}")
    postal_code = "00-001"
    phone = "+48 22 100 20 30"
    opening_hours = factory.LazyFunction(lambda: {"mon": [["07:00", "20:00"]], "tue": [["07:00", "20:00"]]})

    class Params:
        partner = factory.Trait(
            kind=Facility.Kind.PARTNER,
            brand=Facility.Brand.PARTNER,
            name=factory.Sequence(lambda n: f"Przychodnia Partnerska {n}"),
        )


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    facility = factory.SubFactory(FacilityFactory)
    number = factory.Sequence(lambda n: str(100 + n))


class SpecialtyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Specialty
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"specialty-{n}")
    name = factory.Sequence(lambda n: f"Specjalność {n}")


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"service-{n}")
    name = factory.Sequence(lambda n: f"Konsultacja {n}")
    kind = Service.Kind.CONSULTATION
    specialty = factory.SubFactory(SpecialtyFactory)
    base_price = 180


class ClinicianFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinician

    first_name = "Jan"
    last_name = factory.Sequence(lambda n: f"Lekarz{n}")

"""The service catalogue the demo builds on.

The real catalogue (tiers, specialties, services, the coverage matrix of PKG-1) comes from
``manage.py load_matrix``. When that command is not installed yet, the demo falls back to the small stand-in
below: the five tiers, sixty-odd specialties with one bookable consultation each and a few exams, with the same
code style ("kardiologia", "interna", "pediatria").
"""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

from django.core.management import call_command, get_commands

from carenet.coverage.models import Tier
from carenet.coverage.selectors import matrix_changed
from carenet.network.models import Clinician, Language, Service, Specialty

TIERS = (
    ("podstawowy", "Podstawowy", "Basic"),
    ("standardowy", "Standardowy", "Standard"),
    ("rozszerzony", "Rozszerzony", "Extended"),
    ("kompleksowy", "Kompleksowy", "Comprehensive"),
    ("premium", "Premium", "Premium"),
)

# code, Polish name, English name, minimum age, maximum age (exclusive)
SPECIALTIES: tuple[tuple[str, str, str, int | None, int | None], ...] = (
    ("interna", "Choroby wewnętrzne", "Internal medicine", 18, None),
    ("medycyna-rodzinna", "Medycyna rodzinna", "Family medicine", None, None),
    ("pediatria", "Pediatria", "Paediatrics", None, 18),
    ("kardiologia", "Kardiologia", "Cardiology", 18, None),
    ("dermatologia", "Dermatologia", "Dermatology", None, None),
    ("endokrynologia", "Endokrynologia", "Endocrinology", 18, None),
    ("gastroenterologia", "Gastroenterologia", "Gastroenterology", 18, None),
    ("ginekologia", "Ginekologia", "Gynaecology", 16, None),
    ("okulistyka", "Okulistyka", "Ophthalmology", None, None),
    ("laryngologia", "Otolaryngologia", "Otolaryngology", None, None),
    ("neurologia", "Neurologia", "Neurology", 18, None),
    ("ortopedia", "Ortopedia i traumatologia", "Orthopaedics", 18, None),
    ("urologia", "Urologia", "Urology", 18, None),
    ("chirurgia-ogolna", "Chirurgia ogólna", "General surgery", 18, None),
    ("alergologia", "Alergologia", "Allergology", 18, None),
    ("pulmonologia", "Pulmonologia", "Pulmonology", 18, None),
    ("reumatologia", "Reumatologia", "Rheumatology", 18, None),
    ("nefrologia", "Nefrologia", "Nephrology", 18, None),
    ("diabetologia", "Diabetologia", "Diabetology", 18, None),
    ("hematologia", "Hematologia", "Haematology", 18, None),
    ("onkologia", "Onkologia kliniczna", "Clinical oncology", 18, None),
    ("psychiatria", "Psychiatria", "Psychiatry", 18, None),
    ("psychologia", "Psychologia", "Psychology", None, None),
    ("dietetyka", "Dietetyka", "Dietetics", None, None),
    ("fizjoterapia", "Fizjoterapia", "Physiotherapy", None, None),
    ("poloznictwo", "Położnictwo (położna)", "Midwifery", 16, None),
    ("pielegniarstwo", "Pielęgniarstwo (gabinet zabiegowy)", "Nursing", None, None),
    ("angiologia", "Angiologia", "Angiology", 18, None),
    ("andrologia", "Andrologia", "Andrology", 18, None),
    ("seksuologia", "Seksuologia", "Sexology", 18, None),
    ("chirurgia-naczyniowa", "Chirurgia naczyniowa", "Vascular surgery", 18, None),
    ("chirurgia-plastyczna", "Chirurgia plastyczna", "Plastic surgery", 18, None),
    ("chirurgia-dziecieca", "Chirurgia dziecięca", "Paediatric surgery", None, 18),
    ("kardiologia-dziecieca", "Kardiologia dziecięca", "Paediatric cardiology", None, 18),
    ("neurologia-dziecieca", "Neurologia dziecięca", "Paediatric neurology", None, 18),
    ("endokrynologia-dziecieca", "Endokrynologia dziecięca", "Paediatric endocrinology", None, 18),
    ("gastroenterologia-dziecieca", "Gastroenterologia dziecięca", "Paediatric gastroenterology", None, 18),
    ("alergologia-dziecieca", "Alergologia dziecięca", "Paediatric allergology", None, 18),
    ("nefrologia-dziecieca", "Nefrologia dziecięca", "Paediatric nephrology", None, 18),
    ("ortopedia-dziecieca", "Ortopedia dziecięca", "Paediatric orthopaedics", None, 18),
    ("urologia-dziecieca", "Urologia dziecięca", "Paediatric urology", None, 18),
    ("psychiatria-dziecieca", "Psychiatria dzieci i młodzieży", "Child psychiatry", None, 18),
    ("hepatologia", "Hepatologia", "Hepatology", 18, None),
    ("immunologia", "Immunologia kliniczna", "Clinical immunology", 18, None),
    ("geriatria", "Geriatria", "Geriatrics", 60, None),
    ("medycyna-sportowa", "Medycyna sportowa", "Sports medicine", None, None),
    ("medycyna-pracy", "Medycyna pracy", "Occupational medicine", 16, None),
    ("flebologia", "Flebologia", "Phlebology", 18, None),
    ("proktologia", "Proktologia", "Proctology", 18, None),
    ("audiologia", "Audiologia", "Audiology", None, None),
    ("foniatria", "Foniatria", "Phoniatrics", None, None),
    ("chirurgia-onkologiczna", "Chirurgia onkologiczna", "Surgical oncology", 18, None),
    ("neurochirurgia", "Neurochirurgia", "Neurosurgery", 18, None),
    ("choroby-zakazne", "Choroby zakaźne", "Infectious diseases", None, None),
    ("medycyna-podrozy", "Medycyna podróży", "Travel medicine", None, None),
    ("wenerologia", "Wenerologia", "Venereology", 18, None),
    ("rehabilitacja-medyczna", "Rehabilitacja medyczna", "Rehabilitation medicine", None, None),
    ("kardiochirurgia", "Kardiochirurgia", "Cardiac surgery", 18, None),
    ("torakochirurgia", "Torakochirurgia", "Thoracic surgery", 18, None),
    ("hipertensjologia", "Hipertensjologia", "Hypertension", 18, None),
    ("perinatologia", "Perinatologia", "Perinatology", 16, None),
    ("neonatologia", "Neonatologia", "Neonatology", None, 1),
    ("toksykologia", "Toksykologia kliniczna", "Clinical toxicology", 18, None),
    ("balneologia", "Balneologia i medycyna fizykalna", "Balneology", 18, None),
)

# SCH-2 (issue 14): what patients call the specialist — "internista (Choroby wewnętrzne)" in the search.
PATIENT_NAMES: dict[str, tuple[str, str]] = {
    "interna": ("internista", "internist"),
    "medycyna-rodzinna": ("lekarz rodzinny", "family doctor (GP)"),
    "pediatria": ("pediatra", "paediatrician"),
    "kardiologia": ("kardiolog", "cardiologist"),
    "dermatologia": ("dermatolog", "skin doctor"),
    "endokrynologia": ("endokrynolog", "endocrinologist"),
    "gastroenterologia": ("gastrolog", "gastroenterologist"),
    "ginekologia": ("ginekolog", "gynaecologist"),
    "okulistyka": ("okulista", "eye doctor"),
    "laryngologia": ("laryngolog", "ENT doctor"),
    "neurologia": ("neurolog", "neurologist"),
    "ortopedia": ("ortopeda", "orthopaedist"),
    "urologia": ("urolog", "urologist"),
    "chirurgia-ogolna": ("chirurg", "surgeon"),
    "alergologia": ("alergolog", "allergist"),
    "pulmonologia": ("pulmonolog", "lung doctor"),
    "reumatologia": ("reumatolog", "rheumatologist"),
    "nefrologia": ("nefrolog", "kidney doctor"),
    "diabetologia": ("diabetolog", "diabetes doctor"),
    "hematologia": ("hematolog", "haematologist"),
    "onkologia": ("onkolog", "oncologist"),
    "psychiatria": ("psychiatra", "psychiatrist"),
    "psychologia": ("psycholog", "psychologist"),
    "dietetyka": ("dietetyk", "dietitian"),
    "fizjoterapia": ("fizjoterapeuta", "physiotherapist"),
    "poloznictwo": ("położna", "midwife"),
    "pielegniarstwo": ("pielęgniarka", "nurse"),
    "angiologia": ("angiolog", "angiologist"),
    "andrologia": ("androlog", "andrologist"),
    "seksuologia": ("seksuolog", "sex therapist"),
    "chirurgia-naczyniowa": ("chirurg naczyniowy", "vascular surgeon"),
    "chirurgia-plastyczna": ("chirurg plastyczny", "plastic surgeon"),
    "chirurgia-dziecieca": ("chirurg dziecięcy", "children's surgeon"),
    "kardiologia-dziecieca": ("kardiolog dziecięcy", "children's cardiologist"),
    "neurologia-dziecieca": ("neurolog dziecięcy", "children's neurologist"),
    "endokrynologia-dziecieca": ("endokrynolog dziecięcy", "children's endocrinologist"),
    "gastroenterologia-dziecieca": ("gastrolog dziecięcy", "children's gastroenterologist"),
    "alergologia-dziecieca": ("alergolog dziecięcy", "children's allergist"),
    "nefrologia-dziecieca": ("nefrolog dziecięcy", "children's kidney doctor"),
    "ortopedia-dziecieca": ("ortopeda dziecięcy", "children's orthopaedist"),
    "urologia-dziecieca": ("urolog dziecięcy", "children's urologist"),
    "psychiatria-dziecieca": ("psychiatra dziecięcy", "child psychiatrist"),
    "hepatologia": ("hepatolog", "liver doctor"),
    "immunologia": ("immunolog", "immunologist"),
    "geriatria": ("geriatra", "geriatrician"),
    "medycyna-sportowa": ("lekarz sportowy", "sports doctor"),
    "medycyna-pracy": ("lekarz medycyny pracy", "occupational health doctor"),
    "flebologia": ("flebolog", "vein doctor"),
    "proktologia": ("proktolog", "proctologist"),
    "audiologia": ("audiolog", "hearing specialist"),
    "foniatria": ("foniatra", "voice doctor"),
    "chirurgia-onkologiczna": ("chirurg onkolog", "surgical oncologist"),
    "neurochirurgia": ("neurochirurg", "neurosurgeon"),
    "choroby-zakazne": ("zakaźnik", "infectious disease doctor"),
    "medycyna-podrozy": ("lekarz medycyny podróży", "travel doctor"),
    "wenerologia": ("wenerolog", "venereologist"),
    "rehabilitacja-medyczna": ("lekarz rehabilitacji", "rehabilitation doctor"),
    "kardiochirurgia": ("kardiochirurg", "heart surgeon"),
    "torakochirurgia": ("torakochirurg", "chest surgeon"),
    "hipertensjologia": ("hipertensjolog", "blood pressure specialist"),
    "perinatologia": ("perinatolog", "perinatologist"),
    "neonatologia": ("neonatolog", "neonatologist"),
    "toksykologia": ("toksykolog", "toxicologist"),
    "balneologia": ("balneolog", "balneologist"),
}

EXTRA_SERVICES = (
    ("morfologia", "Morfologia krwi", "Complete blood count", Service.Kind.LAB, None, 25),
    ("usg-jamy-brzusznej", "USG jamy brzusznej", "Abdominal ultrasound", Service.Kind.IMAGING, None, 180),
    ("ekg-spoczynkowe", "EKG spoczynkowe", "Resting ECG", Service.Kind.FUNCTIONAL, "kardiologia", 60),
    ("szczepienie-grypa", "Szczepienie przeciw grypie", "Influenza vaccination", Service.Kind.VACCINATION,
     "pielegniarstwo", 90),
)  # fmt: skip

# code, Polish name, English name
LANGUAGES = (
    ("pl", "polski", "Polish"),
    ("en", "angielski", "English"),
    ("de", "niemiecki", "German"),
    ("uk", "ukraiński", "Ukrainian"),
    ("ru", "rosyjski", "Russian"),
)

# Which kind of clinician consults in a specialty; every other specialty is a doctor's.
# Both code styles are understood: the stand-in's Polish codes and the matrix's English ones.
KIND_BY_SPECIALTY_WORD = (
    ("psycholog", Clinician.Kind.PSYCHOLOGIST),
    ("dietet", Clinician.Kind.DIETITIAN),
    ("fizjoterap", Clinician.Kind.PHYSIOTHERAPIST),
    ("physiotherap", Clinician.Kind.PHYSIOTHERAPIST),
    ("poloz", Clinician.Kind.MIDWIFE),
    ("midwif", Clinician.Kind.MIDWIFE),
    ("pielegn", Clinician.Kind.NURSE),
    ("nursing", Clinician.Kind.NURSE),
)
GENERAL_PRACTICE = {"interna", "medycyna-rodzinna", "internal-medicine", "family-medicine"}


def clinician_kind_for(specialty_code: str) -> str:
    for word, kind in KIND_BY_SPECIALTY_WORD:
        if word in specialty_code:
            return kind
    return Clinician.Kind.DOCTOR


def matrix_command_available() -> bool:
    return "load_matrix" in get_commands()


def ensure_catalogue(*, log: StringIO | None = None) -> str:
    """Load the catalogue if the database has none: ``load_matrix`` when installed, else the stand-in.
    Returns which source was used ("existing", "load_matrix" or "stand-in")."""
    if not Language.objects.exists():
        Language.objects.bulk_create(
            [Language(code=code, name=name, name_en=name_en) for code, name, name_en in LANGUAGES]
        )
        matrix_changed()  # the search form's languages, bulk inserted: every process reads them again (issue 16)
    if Tier.objects.exists() and Specialty.objects.exists():
        return "existing"
    if matrix_command_available():
        call_command("load_matrix", stdout=log or StringIO())
        return "load_matrix"
    _load_stand_in()
    return "stand-in"


def _specialty(code: str, name: str, name_en: str) -> Specialty:
    patient_name, patient_name_en = PATIENT_NAMES.get(code, ("", ""))
    return Specialty(code=code, name=name, name_en=name_en, patient_name=patient_name, patient_name_en=patient_name_en)


def _load_stand_in() -> None:
    Tier.objects.bulk_create(
        [Tier(code=code, name=name, name_en=name_en, rank=rank) for rank, (code, name, name_en) in enumerate(TIERS, 1)]
    )
    specialties = Specialty.objects.bulk_create(
        [_specialty(code, name, name_en) for code, name, name_en, _, _ in SPECIALTIES]
    )
    by_code = {s.code: s for s in specialties}
    services = []
    for (code, name, name_en, min_age, max_age), specialty in zip(SPECIALTIES, specialties, strict=True):
        kind = Service.Kind.CONSULTATION
        services.append(
            Service(
                code=f"konsultacja-{code}",
                name=f"Konsultacja – {name.lower()}",
                name_en=f"{name_en} consultation",
                kind=kind,
                specialty=specialty,
                min_age=min_age,
                max_age=max_age,
                duration_minutes=15,
                base_price=Decimal(200 if clinician_kind_for(code) == Clinician.Kind.DOCTOR else 150),
            )
        )
    for code, name, name_en, kind, specialty_code, price in EXTRA_SERVICES:
        services.append(
            Service(
                code=code,
                name=name,
                name_en=name_en,
                kind=kind,
                specialty=by_code.get(specialty_code) if specialty_code else None,
                base_price=Decimal(price),
                is_bookable=specialty_code is not None,
            )
        )
    Service.objects.bulk_create(services)
    matrix_changed()  # a bulk insert sends no save signal: every process reads the catalogue again (issue 16)


def ensure_specialties(count: int) -> int:
    """The benchmark network's breadth (``seed_demo --scale-slots``): when the loaded catalogue has fewer than
    ``count`` specialties with a bookable service, add stand-in specialties it lacks (compared by English name),
    each with one consultation, until it has ``count``. They are outside the coverage matrix, so a patient's search
    shows them as not covered. Returns how many were added."""
    bookable = set(
        Service.objects.filter(is_bookable=True, specialty__isnull=False).values_list("specialty_id", flat=True)
    )
    missing = count - len(bookable)
    if missing <= 0:
        return 0
    known = {name.lower() for name in Specialty.objects.values_list("name_en", flat=True)}
    codes = set(Specialty.objects.values_list("code", flat=True))
    chosen = [row for row in SPECIALTIES if row[2].lower() not in known and row[0] not in codes][:missing]
    specialties = Specialty.objects.bulk_create(
        [_specialty(code, name, name_en) for code, name, name_en, _, _ in chosen]
    )
    Service.objects.bulk_create(
        [
            Service(
                code=f"konsultacja-{code}",
                name=f"Konsultacja – {name.lower()}",
                name_en=f"{name_en} consultation",
                kind=Service.Kind.CONSULTATION,
                specialty=specialty,
                min_age=min_age,
                max_age=max_age,
                duration_minutes=15,
                base_price=Decimal(200 if clinician_kind_for(code) == Clinician.Kind.DOCTOR else 150),
            )
            for (code, name, name_en, min_age, max_age), specialty in zip(chosen, specialties, strict=True)
        ]
    )
    matrix_changed()  # a bulk insert sends no save signal: every process reads the catalogue again (issue 16)
    return len(chosen)

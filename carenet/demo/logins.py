"""The demo's logins, read back from the database so that every `make demo` start can print them."""

from __future__ import annotations

from django.db.models import Q

from carenet.accounts.models import User
from carenet.demo.people import PASSWORDS

NAMED_PATIENTS = ("pacjent1", "pacjent2", "rodzic")
#: The demo clinician and the clinicians on duty for the on-demand lines (carenet.demo.consultations).
CLINICIAN_LOGINS = ("lekarz", "pediatra", "pielegniarka", "polozna")


def demo_logins() -> list[tuple[str, str, str, str]]:
    """(role, login, password, who) for the named demo accounts that exist in the database."""
    users = (
        User.objects.filter(
            Q(
                username__in=(
                    "admin",
                    "koordynator",
                    "infolinia",
                    *CLINICIAN_LOGINS,
                    "partner",
                    "kadry",
                    *NAMED_PATIENTS,
                )
            )
            | Q(username__startswith="recepcja", role=User.Role.RECEPTIONIST)
            | Q(username__startswith="pakiet-", role=User.Role.PATIENT)
        )
        .select_related("facility", "patient", "clinician")
        .order_by("username")
    )
    rows: list[tuple[int, str, str, str, str]] = []
    for user in users:
        if user.username == "admin":
            rows.append((0, "administrator", user.username, PASSWORDS["admin"], "superuser, Django admin"))
        elif user.role == User.Role.COORDINATOR:
            rows.append((1, "koordynator sieci", user.username, PASSWORDS["coordinator"], "network coordinator"))
        elif user.role == User.Role.CALL_CENTRE:
            rows.append((2, "infolinia", user.username, PASSWORDS["call_centre"], "call-centre operator"))
        elif user.role == User.Role.RECEPTIONIST:
            rows.append((3, "recepcja", user.username, PASSWORDS["receptionist"], str(user.facility or "")))
        elif user.role == User.Role.CLINICIAN:
            who = str(getattr(user, "clinician", "")) or user.get_full_name()
            rows.append((4, "lekarz", user.username, PASSWORDS["clinician"], who))
        elif user.role == User.Role.PARTNER_STAFF:
            rows.append((5, "placówka partnerska", user.username, PASSWORDS["partner_staff"], str(user.facility or "")))
        elif user.role == User.Role.EMPLOYER_CONTACT:  # PKG-8: the roster of the demo's biggest employer
            rows.append((5, "kadry pracodawcy", user.username, PASSWORDS["employer_contact"], str(user.contract or "")))
        elif user.role == User.Role.PATIENT:
            patient = getattr(user, "patient", None)
            level = f"level {'II' if patient and patient.account_level == 2 else 'I'}"
            who = f"{patient.full_name}, {level}" if patient else user.get_full_name()
            rows.append((6, "pacjent", user.username, PASSWORDS["patient"], who))
    return [(role, login, password, who) for _, role, login, password, who in sorted(rows)]

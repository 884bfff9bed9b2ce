from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from carenet.demo.logins import demo_logins
from carenet.demo.totp import demo_totp_secrets


class Command(BaseCommand):
    help = "Print the demo's logins and passwords (demo data only)."

    def handle(self, *args: Any, **options: Any) -> None:
        logins = demo_logins()
        if not logins:
            self.stdout.write("No demo accounts in this database: run `manage.py seed_demo`.")
            return
        self.stdout.write("Demo logins (demo data only):")
        width = max(len(login) for _, login, _, _ in logins)
        for role, login, password, who in logins:
            self.stdout.write(f"  {role:<19} {login:<{width}}  {password:<22} {who}")
        secrets = demo_totp_secrets()
        if secrets:
            self.stdout.write("")
            self.stdout.write(
                "Staff logins ask for a TOTP code after the password. Current code: "
                "`uv run python manage.py totp_code <login>`, or add the secret to an authenticator app:"
            )
            for login, secret in secrets:
                self.stdout.write(
                    f"  {login:<{width}}  {secret}  otpauth://totp/CareNet:{login}?secret={secret}&issuer=CareNet"
                )
        self.stdout.write("")
        self.stdout.write(
            "Online consultations with two people: log in as a patient (pacjent2; rodzic for a child) and open "
            "Konsultacje online, choose a line and press Rozpocznij. Play the clinician in a second window that does "
            "not share cookies (a private window or another browser profile): /staff/login/ as lekarz (internal/"
            "family medicine), pediatra, pielegniarka or polozna — they are on duty around the clock — then "
            "Konsultacje online, Przyjmij następnego pacjenta. pacjent2 also has a booked video visit with lekarz: "
            "Moje wizyty, Dołącz (from 15 minutes before its time) and Dołącz on lekarz's day list."
        )

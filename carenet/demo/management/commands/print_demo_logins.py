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

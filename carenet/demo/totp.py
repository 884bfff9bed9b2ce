"""Demo data only: the staff logins' TOTP devices, with secrets derived from the login so that every demo build has
the same ones and `print_demo_logins` can print them (a tester adds one to an app or runs `manage.py totp_code`)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable

from django_otp.plugins.otp_totp.models import TOTPDevice

from carenet.accounts.models import User

#: The name of the demo's TOTP devices; only devices of this name get their secret printed.
DEMO_TOTP_DEVICE = "CareNet (demo)"


def demo_totp_key(username: str) -> str:
    """Demo data only: a staff login's TOTP secret (hex, as django-otp stores it), derived from the login so that it
    is the same in every demo build and can be printed and documented. Never used outside the demo builder."""
    return hashlib.sha256(f"carenet-demo-totp:{username}".encode()).hexdigest()[:40]


def totp_devices_for_demo_staff(users: Iterable[User]) -> None:
    TOTPDevice.objects.bulk_create(
        [
            TOTPDevice(user=user, name=DEMO_TOTP_DEVICE, key=demo_totp_key(user.username), confirmed=True)
            for user in users
        ]
    )


def demo_totp_secrets() -> list[tuple[str, str]]:
    """(login, base32 secret) of the demo staff's TOTP devices in the database, for typing into an authenticator
    app (or use `manage.py totp_code <login>`)."""
    devices = TOTPDevice.objects.filter(name=DEMO_TOTP_DEVICE, confirmed=True).select_related("user")
    devices = devices.order_by("user__username")
    return [
        (device.user.username, base64.b32encode(bytes.fromhex(device.key)).decode().rstrip("="))
        for device in devices
        if device.key == demo_totp_key(device.user.username)
    ]

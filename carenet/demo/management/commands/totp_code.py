"""Print the current TOTP code of a login's confirmed device (demo and development only)."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice


class Command(BaseCommand):
    help = "Print the current two-step login code of a login (demo and development only: needs CARENET_DEBUG on)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("login")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("totp_code is for the demo and development only (CARENET_DEBUG is off).")
        device = TOTPDevice.objects.filter(user__username=options["login"], confirmed=True).order_by("pk").first()
        if device is None:
            raise CommandError(f"{options['login']!r} has no confirmed authenticator device.")
        totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
        totp.time = time.time()
        left = device.step - int(totp.time - device.t0) % device.step
        code = f"{totp.token():0{device.digits}d}"
        self.stdout.write(code)
        self.stderr.write(f"valid for {left} more s; each code works once (wait for the next one to log in again)")

"""``manage.py load_matrix [--path FILE]``: validate and load the coverage matrix (PKG-1)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from carenet.core.errors import ValidationFailed
from carenet.coverage.matrix import DEFAULT_PATH, matrix_load


class Command(BaseCommand):
    help = "Validate the coverage matrix YAML and load tiers, the service catalogue and the benefits (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--path", type=Path, default=None, help=f"matrix file (default: {DEFAULT_PATH})")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = matrix_load(path=options["path"])
        except ValidationFailed as exc:
            problems = exc.details.get("errors") or [str(exc)]
            raise CommandError("the coverage matrix was not loaded:\n  " + "\n  ".join(problems)) from exc
        self.stdout.write(
            f"Coverage matrix: {result.tiers} tiers, {result.specialties} specialties, {result.services} services, "
            f"{result.benefits} benefits, {result.items} items."
        )
        if not result.changed:
            self.stdout.write(self.style.SUCCESS("Already up to date: nothing changed."))
            return
        for label, counts in (("created", result.created), ("updated", result.updated), ("removed", result.removed)):
            done = ", ".join(f"{count} {kind}" for kind, count in sorted(counts.items()) if count)
            if done:
                self.stdout.write(f"  {label}: {done}")
        self.stdout.write(self.style.SUCCESS("Loaded."))

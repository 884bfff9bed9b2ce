"""Content-Security-Policy (issue 10): scripts only from our own files — no inline script, no inline event handler —
no plugins, no <base> rewriting; and no template brings an inline script back."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.IGNORECASE)
INLINE_HANDLER = re.compile(r"<[^>]*\son[a-z]+\s*=", re.IGNORECASE)


def directives(header: str) -> dict[str, list[str]]:
    parsed = {}
    for part in header.split(";"):
        name, *values = part.split()
        parsed[name] = values
    return parsed


@pytest.mark.parametrize("path", ["/", "/admin/login/"])
def test_pages_forbid_inline_scripts_plugins_and_base(client: Client, path: str) -> None:
    policy = directives(client.get(path)["Content-Security-Policy"])
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]


def test_no_template_has_an_inline_script_or_event_handler() -> None:
    templates = [*ROOT.joinpath("templates").rglob("*.html"), *ROOT.joinpath("carenet").rglob("templates/**/*.html")]
    assert templates
    found = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in templates
        for pattern in (INLINE_SCRIPT, INLINE_HANDLER)
        for match in pattern.finditer(path.read_text())
    ]
    assert found == []

"""The accessibility and phone-width checks every page must pass (issue 14, BEY-5).

axe-core comes from its npm package (package-lock.json, installed by ``scripts/ensure-assets``) and is evaluated in
the page through the DevTools protocol, so the page's Content-Security-Policy stays as strict as in production.
The rules run are WCAG 2.0, 2.1 and 2.2 at levels A and AA; a page passes with no violation at all.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

AXE_JS = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
#: The sizes every page is checked at: a laptop and a phone (axe), and the narrowest phone (no sideways scroll).
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}
NARROW_PHONE = {"width": 320, "height": 640}


@cache
def _axe_source() -> str:
    if not AXE_JS.exists():
        raise AssertionError(f"axe-core is missing at {AXE_JS}: run scripts/ensure-assets (make setup does)")
    return AXE_JS.read_text(encoding="utf-8")


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """The WCAG 2.2 A/AA violations axe-core finds in the page as it is now (after whatever the test did)."""
    if not page.evaluate("() => typeof window.axe !== 'undefined'"):
        page.evaluate(_axe_source())
    result = page.evaluate(
        """async (tags) => {
            const options = {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']};
            const r = await window.axe.run(document, options);
            return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
              nodes: v.nodes.slice(0, 5).map(n => ({target: n.target.join(' '), summary: n.failureSummary}))}));
        }""",
        WCAG_TAGS,
    )
    return list(result)


def sideways_overflow(page: Any) -> int:
    """How many pixels the page is wider than the window (0 when it does not scroll sideways)."""
    return int(page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth"))


def widest_elements(page: Any) -> list[str]:
    """The elements that stick out to the right of the window, to say what makes a page scroll sideways."""
    return list(
        page.evaluate(
            """() => { const w = window.innerWidth; const out = [];
              for (const el of document.querySelectorAll('body *')) { const r = el.getBoundingClientRect();
                const cls = typeof el.className === 'string' && el.className.trim() ?
                  '.' + el.className.trim().split(/\\s+/).join('.') : '';
                if (r.right > w + 1 && r.width > 0) out.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
                  cls + ' right=' + Math.round(r.right)); if (out.length > 8) break; }
              return out; }"""
        )
    )


def assert_accessible(page: Any, label: str) -> None:
    """The page passes axe-core (WCAG 2.2 A/AA) at the size it is shown now."""
    violations = axe_violations(page)
    assert not violations, f"{label} at {page.viewport_size['width']} px:\n" + json.dumps(
        violations, indent=1, ensure_ascii=False
    )


def assert_fits(page: Any, label: str) -> None:
    """The page does not scroll sideways at the width it is shown now (``scrollWidth ≤ innerWidth``)."""
    overflow = sideways_overflow(page)
    assert overflow <= 0, (
        f"{label} scrolls sideways by {overflow} px at {page.viewport_size['width']} px: "
        + ", ".join(widest_elements(page))
    )


def check_page(page: Any, label: str) -> None:
    """One state of a page as a user meets it: axe at 1280×800 and 390×844, no sideways scroll at 390 and 320 px.
    The page is left at the phone size it was checked at last, and restored to the desktop size."""
    page.set_viewport_size(DESKTOP)
    assert_accessible(page, label)
    page.set_viewport_size(PHONE)
    assert_accessible(page, label)
    assert_fits(page, label)
    page.set_viewport_size(NARROW_PHONE)
    assert_fits(page, label)
    page.set_viewport_size(DESKTOP)

"""One reading of a catalogue entry's text in the page's language (BEY-5, issue 14)."""

from __future__ import annotations

from types import SimpleNamespace

from django.template import Context, Template
from django.utils import translation

from carenet.core.catalogue import localized

CARDIOLOGY = SimpleNamespace(name="Kardiologia", name_en="Cardiology", scope="Laboratorium", scope_en="")


def test_english_pages_read_the_english_twin_polish_pages_the_polish_text() -> None:
    with translation.override("en"):
        assert localized(CARDIOLOGY) == "Cardiology"
        assert localized(CARDIOLOGY, "scope") == "Laboratorium"  # no English text: the Polish one, not nothing
    with translation.override("pl"):
        assert localized(CARDIOLOGY) == "Kardiologia"
    assert localized(CARDIOLOGY, language="en-gb") == "Cardiology"
    assert localized(SimpleNamespace(name="Interna", name_en="   "), language="en") == "Interna"
    assert localized(SimpleNamespace(name="Interna"), language="en") == "Interna"  # an entry without a twin
    assert localized(None) == ""


def test_the_template_filter_is_a_built_in() -> None:
    template = Template('{{ item|localized }} · {{ item|localized:"scope" }}')
    with translation.override("en"):
        assert template.render(Context({"item": CARDIOLOGY})) == "Cardiology · Laboratorium"
    with translation.override("pl"):
        assert template.render(Context({"item": CARDIOLOGY})) == "Kardiologia · Laboratorium"

"""Issue 16: ``{% url %}`` keeps the addresses without arguments per process, language, script prefix and
namespace — the same text as Django's tag in every case, an unknown name still an error (or empty with ``as``)."""

from __future__ import annotations

import pytest
from django.template import Context, Engine, Template
from django.urls import NoReverseMatch, clear_url_caches, get_resolver, get_urlconf, set_script_prefix
from django.utils import translation

from carenet.web.templatetags.kept_urls import _KEPT, KeptURLNode

TEXT = (
    "{% url 'portal:home' %}|{% url 'portal:visits' %}|{% url 'portal:visit' 7 %}|{% url 'admin:index' %}|"
    "{% url 'no:such' as missing %}[{{ missing }}]|{% url 'portal:search' as found %}{{ found }}"
)


def django_engine() -> Engine:
    return Engine(libraries={}, builtins=[])  # Django's own {% url %}


def ours() -> Template:
    from django.template import engines

    return engines["django"].from_string(TEXT).template  # the project's engine: the kept tag is a built-in


def test_the_project_engine_uses_the_kept_tag() -> None:
    nodes = ours().nodelist.get_nodes_by_type(KeptURLNode)
    assert len(nodes) == 6


@pytest.mark.parametrize("language", ["pl", "en"])
@pytest.mark.parametrize("prefix", ["/", "/carenet/"])
def test_the_same_addresses_as_djangos_tag(language: str, prefix: str) -> None:
    try:
        set_script_prefix(prefix)
        with translation.override(language):
            expected = Template(TEXT, engine=django_engine()).render(Context({}))
            assert ours().render(Context({})) == expected
            assert ours().render(Context({})) == expected  # kept, the same
            assert expected.startswith(prefix)
    finally:
        set_script_prefix("/")
    with translation.override("en"):
        english = ours().render(Context({}))
    with translation.override("pl"):
        assert ours().render(Context({})) != english  # each language its own


def test_an_unknown_name_without_as_is_still_an_error() -> None:
    from django.template import engines

    template = engines["django"].from_string("{% url 'no:such' %}").template
    for _ in range(2):
        with pytest.raises(NoReverseMatch):
            template.render(Context({}))


def test_clearing_djangos_url_caches_forgets_them() -> None:
    ours().render(Context({}))
    assert get_resolver(get_urlconf()).__dict__.get(_KEPT)
    clear_url_caches()
    assert not get_resolver(get_urlconf()).__dict__.get(_KEPT)

"""``{% url %}`` as Django's, with the addresses that take no arguments — the menu's, the footer's, a form's
action — reversed once per process, language, script prefix and application namespace (issue 16, SPEC PERF): the
URL configuration does not change while a process runs. The addresses are kept on the resolver Django builds from
the configuration, so clearing Django's URL caches (a test that changes the configuration) forgets them too. An
address with arguments is reversed each time, as before. A built-in of the templates (config/settings.py), in place
of Django's own tag."""

from __future__ import annotations

from typing import Any

from django import template
from django.template.base import Parser, Token
from django.template.context import Context
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch, get_resolver, get_script_prefix, get_urlconf, reverse
from django.utils.html import conditional_escape
from django.utils.translation import get_language

register = template.Library()

_KEPT = "_carenet_kept_urls"
_NO_MATCH = ""  # kept for a name that does not reverse here (``{% url 'dev:sms_inbox' as … %}`` in production)


class KeptURLNode(URLNode):
    def render(self, context: Context) -> str:
        if self.args or self.kwargs:
            return str(super().render(context))
        view_name = self.view_name.resolve(context)
        if not isinstance(view_name, str):
            return str(super().render(context))
        try:
            current_app = context.request.current_app  # type: ignore[attr-defined]
        except AttributeError:
            try:
                current_app = context.request.resolver_match.namespace  # type: ignore[attr-defined]
            except AttributeError:
                current_app = None
        resolver: Any = get_resolver(get_urlconf())
        kept: dict[tuple[Any, ...], str] = resolver.__dict__.setdefault(_KEPT, {})
        key = (view_name, current_app, get_language(), get_script_prefix())
        url = kept.get(key)
        if url is None:
            try:
                url = reverse(view_name, current_app=current_app)
            except NoReverseMatch:
                url = _NO_MATCH
            kept[key] = url
        if url == _NO_MATCH and self.asvar is None:
            return str(super().render(context))  # Django raises, with its own message
        if self.asvar:
            context[self.asvar] = url
            return ""
        return str(conditional_escape(url)) if context.autoescape else url


@register.tag
def url(parser: Parser, token: Token) -> KeptURLNode:
    node = django_url(parser, token)
    return KeptURLNode(node.view_name, node.args, node.kwargs, node.asvar)

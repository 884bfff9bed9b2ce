"""One way to render a form field on every page (BEY-5, issue 14): ``{{ form }}`` and ``{{ field.as_field_group }}``
go through ``templates/forms/``, so that the label, the help, the error and the widget's ``aria-describedby`` always
name ids that exist (Django names them ``<id>_helptext`` and ``<id>_error``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.forms.renderers import TemplatesSetting
from django.utils.html import conditional_escape

#: Django's label template (``label_tag``, ``legend_tag``) and its widgets that are one ``<input>`` alone
#: (``django/forms/widgets/input.html`` included, nothing else): written in Python below, with the same HTML.
LABEL_TEMPLATE = "django/forms/label.html"
INPUT_TEMPLATES = frozenset(
    f"django/forms/widgets/{name}.html"
    for name in (
        "input",
        "checkbox",
        "color",
        "date",
        "datetime",
        "email",
        "file",
        "hidden",
        "number",
        "password",
        "search",
        "tel",
        "text",
        "time",
        "url",
    )
)


def _attrs(attrs: Mapping[str, Any] | None) -> str:
    """``django/forms/attrs.html`` and ``widgets/attrs.html``: `` name="value"`` each, a ``True`` value as a bare
    name, a ``False`` one left out; names and values escaped as the template escapes them."""
    parts = []
    for name, value in (attrs or {}).items():
        if value is False:
            continue
        if value is True:
            parts.append(f" {conditional_escape(name)}")
        else:
            parts.append(f' {conditional_escape(name)}="{conditional_escape(value)}"')
    return "".join(parts)


def label_html(context: Mapping[str, Any]) -> str:
    """``django/forms/label.html``: ``<label for=…>label</label>``, or the label alone for a field without an id."""
    label = conditional_escape(context["label"])
    if not context["use_tag"]:
        return str(label).strip()
    tag = conditional_escape(context["tag"])
    return f"<{tag}{_attrs(context['attrs'])}>{label}</{tag}>".strip()


def input_html(context: Mapping[str, Any]) -> str:
    """``django/forms/widgets/input.html``: one ``<input>`` with its type, name, value and attributes."""
    widget = context["widget"]
    value = widget["value"]
    shown = f' value="{conditional_escape(value)}"' if value != None else ""  # noqa: E711 - the template's test
    return (
        f'<input type="{conditional_escape(widget["type"])}" name="{conditional_escape(widget["name"])}"'
        f"{shown}{_attrs(widget['attrs'])}>"
    )


class CareNetFormRenderer(TemplatesSetting):
    """Django's widget templates (``django.forms`` is installed) with CareNet's field and form templates. A field's
    label and a one-``<input>`` widget are written in Python with the HTML of Django's templates (issue 16: a
    template per label and per input was ~2 ms of the search page)."""

    form_template_name = "forms/div.html"
    field_template_name = "forms/field.html"

    def render(self, template_name: str, context: dict[str, Any], request: Any = None) -> str:
        if template_name == LABEL_TEMPLATE:
            return label_html(context)
        if template_name in INPUT_TEMPLATES:
            return input_html(context)
        return str(super().render(template_name, context, request=request))

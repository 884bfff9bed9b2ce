"""One way to render a form field on every page (BEY-5, issue 14): ``{{ form }}`` and ``{{ field.as_field_group }}``
go through ``templates/forms/``, so that the label, the help, the error and the widget's ``aria-describedby`` always
name ids that exist (Django names them ``<id>_helptext`` and ``<id>_error``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.forms.renderers import TemplatesSetting
from django.utils.functional import Promise
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData

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


#: Django's choice widgets whose options are ``input_option.html`` (a radio or a check box, its label around it or
#: not) and the lists of them (``multiple_input.html``), and its ``<select>`` of ``select_option.html`` options.
OPTION_TEMPLATES = frozenset({"django/forms/widgets/radio_option.html", "django/forms/widgets/checkbox_option.html"})
MULTIPLE_INPUT_TEMPLATES = frozenset({"django/forms/widgets/radio.html", "django/forms/widgets/checkbox_select.html"})
SELECT_TEMPLATE = "django/forms/widgets/select.html"
SELECT_OPTION_TEMPLATE = "django/forms/widgets/select_option.html"


def _shown(value: Any) -> str | None:
    """``{{ value }}`` of a text (escaped), or ``None`` for anything the template would localize first."""
    if isinstance(value, str | Promise):
        return str(conditional_escape(str(value)))  # a lazy text is the text it stands for
    return None


def _formatted(value: Any) -> str:
    """``{{ value|stringformat:'s' }}``: the value as text, escaped unless it was safe already."""
    return str(conditional_escape(value if isinstance(value, SafeData) else str(value)))


def input_option_html(widget: Mapping[str, Any]) -> str | None:
    """``django/forms/widgets/input_option.html`` as an include writes it (``None``: not a case written here)."""
    tag = input_html({"widget": widget}) + "\n"  # input.html's own line end, kept by the include
    if not widget["wrap_label"]:
        return tag + "\n"
    label = _shown(widget["label"])
    id_ = widget["attrs"].get("id")
    if label is None or not (id_ is None or isinstance(id_, str)):
        return None
    opening = f'<label for="{conditional_escape(id_)}">' if id_ else "<label>"
    return f"{opening}{tag} {label}</label>\n"


def multiple_input_html(widget: Mapping[str, Any]) -> str | None:
    """``django/forms/widgets/multiple_input.html`` (radios, check boxes), each option ``input_option.html``."""
    attrs = widget["attrs"]
    id_, css = attrs.get("id"), attrs.get("class")
    if not (id_ is None or isinstance(id_, str)) or not (css is None or isinstance(css, str)):
        return None
    shown_id = f' id="{conditional_escape(id_)}"' if id_ else ""
    shown_class = f' class="{conditional_escape(css)}"' if css else ""
    parts = [f"<div{shown_id}{shown_class}>"]
    for group, options, _index in widget["optgroups"]:
        if group:
            shown = _shown(group)
            if shown is None:
                return None
            parts.append(f"\n  <div><label>{shown}</label>")
        for option in options:
            html = input_option_html(option) if option["template_name"] in OPTION_TEMPLATES else None
            if html is None:
                return None
            parts.append(f"<div>\n    {html}\n</div>")
        if group:
            parts.append("\n  </div>")
    parts.append("\n</div>")
    return "".join(parts)


def select_html(widget: Mapping[str, Any]) -> str | None:
    """``django/forms/widgets/select.html``, each option ``select_option.html``."""
    parts = [f'<select name="{conditional_escape(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group, options, _index in widget["optgroups"]:
        if group:
            shown = _shown(group)
            if shown is None:
                return None
            parts.append(f'\n  <optgroup label="{shown}">')
        for option in options:
            label = _shown(option["label"])
            if label is None or option["template_name"] != SELECT_OPTION_TEMPLATE:
                return None
            parts.append(
                f'\n  <option value="{_formatted(option["value"])}"{_attrs(option["attrs"])}>{label}</option>\n'
            )
        if group:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


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
        written: str | None = None
        if template_name in OPTION_TEMPLATES:
            written = input_option_html(context["widget"])
        elif template_name in MULTIPLE_INPUT_TEMPLATES:
            written = multiple_input_html(context["widget"])
        elif template_name == SELECT_TEMPLATE:
            written = select_html(context["widget"])
        if written is not None:
            return written.strip()  # as Django's renderer strips a template's output
        return str(super().render(template_name, context, request=request))

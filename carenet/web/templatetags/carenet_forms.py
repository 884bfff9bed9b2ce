"""The error summary of a form that failed (BEY-5, issue 14; the GOV.UK Design System's pattern): at the top of the
form, every error with a link to its field, focused on page load by ``static/js/forms.js``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms, template

register = template.Library()


@dataclass(frozen=True)
class SummaryItem:
    text: str
    #: the id of the control the link moves to ("" when the form has no visible field to link to)
    target: str


def field_anchor(field: forms.BoundField) -> str:
    """The id of the control a link to ``field`` focuses: the input itself, or a choice group's first option."""
    if not field.auto_id:
        return ""
    if field.id_for_label:
        return str(field.id_for_label)
    # A group of choices (radio buttons, checkboxes): its first option, or the group when it offers none.
    return f"{field.auto_id}_0" if field.use_fieldset and field.subwidgets else str(field.auto_id)


def summary_items(form: forms.BaseForm, anchors: dict[str, str] | None = None) -> list[SummaryItem]:
    """Every error of a bound form, in the order of its fields; an error of the whole form (or of a hidden field)
    links to the first visible field. ``anchors``: field name → id, for a page that writes a field's inputs itself."""
    if not form.is_bound or not form.errors:
        return []
    anchors = anchors or {}

    def anchor_of(field: forms.BoundField) -> str:
        return anchors.get(field.name) or field_anchor(field)

    visible = form.visible_fields()
    first = anchor_of(visible[0]) if visible else ""
    items = [SummaryItem(text=str(error), target=first) for error in form.non_field_errors()]
    for field in form:
        if field.name not in form.errors:
            continue
        target = first if field.is_hidden else anchor_of(field)
        label = str(field.label or "")
        for error in field.errors:
            text = f"{label}: {error}" if label and not field.is_hidden else str(error)
            items.append(SummaryItem(text=text, target=target))
    return items


@register.inclusion_tag("forms/error_summary.html")
def error_summary(form: forms.BaseForm | None, anchor: str = "", **anchors: str) -> dict[str, Any]:
    """``{% error_summary form %}``. A page that writes a field's inputs itself names where its links go:
    ``anchor`` (the one id every link goes to) or ``<field name>="<id>"``."""
    items = summary_items(form, {name: str(value) for name, value in anchors.items()}) if form is not None else []
    if anchor:
        items = [SummaryItem(text=item.text, target=anchor) for item in items]
    return {"items": items, "count": len(items)}

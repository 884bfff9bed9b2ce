"""The pages' side of :mod:`carenet.core.validation` (SEC, issue 10): a form mixin that refuses, field by field,
what would reach a query and fail there, before any field or the form's own code reads it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from carenet.core.validation import MAX_DATE, MIN_DATE, date_in_range, db_id_or_none, text_problem

TEXT_REFUSED = _("Remove the control characters from this field.")
ID_REFUSED = _("Select a valid choice. That choice is not one of the available choices.")
DATE_REFUSED = _("Enter a date between %(first)s and %(last)s.")


def _is_id_field(field: forms.Field) -> bool:
    """Fields whose raw value becomes a database id (a model choice by primary key, an integer choice)."""
    if isinstance(field, forms.ModelChoiceField):
        return field.to_field_name in (None, "pk", "id")
    return isinstance(field, forms.TypedChoiceField) and field.coerce is int


class CheckedInputMixin:
    """Put it first among a form's bases. On a bound form it checks every field's raw value before anything else
    reads it: text without NUL or control characters, ids as ASCII digits within 1..2^63−1; a value refused is
    replaced by an empty one in ``form.data`` (so the form's own code, which may read ``data`` to build its pick
    lists, never sees it) and its field gets a form error. After cleaning, dates outside 1900..2100 are refused."""

    fields: dict[str, forms.Field]
    data: Any
    files: Any
    is_bound: bool
    cleaned_data: dict[str, Any]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._refused: dict[str, Any] = {}
        if not self.is_bound:
            return
        data = None
        for name, field in self.fields.items():
            key = self.add_prefix(name)  # type: ignore[attr-defined]
            raw = field.widget.value_from_datadict(self.data, self.files, key)
            values = raw if isinstance(raw, list | tuple) else [raw]
            texts = [value for value in values if isinstance(value, str)]
            if any(text_problem(text) for text in texts):
                self._refused[name] = TEXT_REFUSED
            elif _is_id_field(field) and any(text and db_id_or_none(text) is None for text in texts):
                self._refused[name] = ID_REFUSED
            else:
                continue
            if hasattr(self.data, "_mutable") or isinstance(self.data, dict):
                data = data if data is not None else self.data.copy()
                if key in data:
                    data[key] = ""
        if data is not None:
            self.data = data

    def full_clean(self) -> None:
        super().full_clean()  # type: ignore[misc]
        if not self.is_bound:
            return
        errors = self._errors  # type: ignore[attr-defined]
        for name, message in self._refused.items():
            errors[name] = self.error_class([message])  # type: ignore[attr-defined]
            self.cleaned_data.pop(name, None)
        for name, field in self.fields.items():
            value = self.cleaned_data.get(name)
            if isinstance(field, forms.DateField) and value is not None and not date_in_range(value):
                self.add_error(name, DATE_REFUSED % {"first": MIN_DATE.isoformat(), "last": MAX_DATE.isoformat()})  # type: ignore[attr-defined]

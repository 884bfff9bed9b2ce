"""``{% load carenet_names %}{{ slot.clinician|clinician_name }}``: a clinician's name with the title abbreviated the
same way on every page (:func:`carenet.web.names.clinician_name`)."""

from __future__ import annotations

from django import template

from carenet.web import names

register = template.Library()


@register.filter
def clinician_name(clinician: object) -> str:
    return names.clinician_name(clinician)  # type: ignore[arg-type]

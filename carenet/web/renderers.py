"""One way to render a form field on every page (BEY-5, issue 14): ``{{ form }}`` and ``{{ field.as_field_group }}``
go through ``templates/forms/``, so that the label, the help, the error and the widget's ``aria-describedby`` always
name ids that exist (Django names them ``<id>_helptext`` and ``<id>_error``)."""

from __future__ import annotations

from django.forms.renderers import TemplatesSetting


class CareNetFormRenderer(TemplatesSetting):
    """Django's widget templates (``django.forms`` is installed) with CareNet's field and form templates."""

    form_template_name = "forms/div.html"
    field_template_name = "forms/field.html"

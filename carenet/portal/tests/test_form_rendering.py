"""Issue 16: a field's label and a one-``<input>`` widget are written in Python by CareNet's form renderer; the
HTML is Django's own templates' to the character (escaping, ``True``/``False`` attributes, a missing value, a label
without an id, a legend, the required class)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django import forms
from django.forms.renderers import TemplatesSetting
from django.utils.safestring import mark_safe

from carenet.web.renderers import (
    INPUT_TEMPLATES,
    LABEL_TEMPLATE,
    CareNetFormRenderer,
    input_option_html,
    multiple_input_html,
    select_html,
)


class Everything(forms.Form):
    required_css_class = "needed"

    name = forms.CharField(label='Imię & "nazwisko" <b>', max_length=40, help_text="x")
    when = forms.DateField(label="Kiedy?", widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    agree = forms.BooleanField(label=mark_safe("Zgoda <em>RODO</em>"), required=False)
    secret = forms.CharField(widget=forms.PasswordInput(render_value=True), required=False)
    hidden = forms.CharField(widget=forms.HiddenInput, required=False)
    count = forms.IntegerField(required=False, widget=forms.NumberInput(attrs={"data-x": True, "data-y": False}))
    mail = forms.EmailField(required=False, label="E-mail:")
    kind = forms.ChoiceField(choices=[("a", "A"), ("b", "B")], widget=forms.RadioSelect, required=False)


CASES: list[tuple[dict[str, Any] | None, Any]] = [
    (None, "id_%s"),
    (
        {
            "name": "O'Brien <script>\"",
            "when": "2026-13-40",
            "agree": "on",
            "secret": "a&b",
            "hidden": "<h>",
            "count": "x",
        },
        "id_%s",
    ),
    ({"name": "Ewa", "when": dt.date(2026, 12, 5).isoformat(), "count": "3", "mail": "zly"}, "f_%s"),
    (None, False),  # no ids: the labels are bare text
]


@pytest.mark.parametrize(("data", "auto_id"), CASES)
def test_labels_and_inputs_are_djangos_html(data: dict[str, Any] | None, auto_id: Any) -> None:
    template_form = Everything(data, renderer=TemplatesSetting(), auto_id=auto_id)
    python_form = Everything(data, renderer=CareNetFormRenderer(), auto_id=auto_id)
    for name in Everything.base_fields:
        assert str(python_form[name]) == str(template_form[name]), name
        assert python_form[name].label_tag() == template_form[name].label_tag(), name
        assert python_form[name].legend_tag() == template_form[name].legend_tag(), name
        assert python_form[name].label_tag(attrs={"class": "x", "hidden": True, "aria-x": False}) == template_form[
            name
        ].label_tag(attrs={"class": "x", "hidden": True, "aria-x": False}), name


def test_the_renderer_writes_only_the_templates_it_knows() -> None:
    renderer = CareNetFormRenderer()
    assert Everything.template_name_label == LABEL_TEMPLATE
    for widget in (
        forms.TextInput(),
        forms.DateInput(),
        forms.HiddenInput(),
        forms.CheckboxInput(),
        forms.NumberInput(),
    ):
        assert widget.template_name in INPUT_TEMPLATES
    for widget in (forms.Select(), forms.Textarea(), forms.RadioSelect(), forms.CheckboxSelectMultiple()):
        assert widget.template_name not in INPUT_TEMPLATES
    html = renderer.render(
        "django/forms/widgets/textarea.html", {"widget": forms.Textarea().get_context("t", "<x>", {})["widget"]}
    )
    assert html == '<textarea name="t" cols="40" rows="10">\n&lt;x&gt;</textarea>'


class Choices(forms.Form):
    """Selects, radios and check boxes as CareNet's forms use them: groups, escaping, safe labels, no ids."""

    GROUPED = [("", "— any —"), ("Mazowieckie", [("1", "Warszawa & <okolice>"), ("2", 'Radom "R"')]), (3, "Inne")]

    plain = forms.ChoiceField(choices=[("a", "A & B"), ("b", mark_safe("<em>B</em>"))], required=False)
    grouped = forms.ChoiceField(choices=GROUPED, required=False)
    many = forms.MultipleChoiceField(choices=[("x", "X"), ("y", "Y")], required=False)
    kind = forms.ChoiceField(
        choices=[("in_person", "W placówce"), ("remote", "Zdalnie <tel>")],
        widget=forms.RadioSelect(attrs={"class": "radio-list"}),
        required=False,
    )
    grouped_radio = forms.ChoiceField(choices=GROUPED, widget=forms.RadioSelect, required=False)
    boxes = forms.MultipleChoiceField(
        choices=[("sms", "SMS"), ("mail", "E-mail & list")], widget=forms.CheckboxSelectMultiple, required=False
    )
    number = forms.TypedChoiceField(choices=[(1, "jeden"), (2, "dwa")], coerce=int, required=False)


CHOICE_CASES: list[tuple[dict[str, Any] | None, Any]] = [
    (None, "id_%s"),
    (
        {"plain": "b", "grouped": "2", "many": ["x", "y"], "kind": "remote", "grouped_radio": "3", "boxes": ["mail"]},
        "f_%s",
    ),
    ({"plain": "<zly>", "number": "2", "grouped": "3"}, False),
]


@pytest.mark.parametrize(("data", "auto_id"), CHOICE_CASES)
def test_selects_radios_and_check_boxes_are_djangos_html(data: dict[str, Any] | None, auto_id: Any) -> None:
    template_form = Choices(data, renderer=TemplatesSetting(), auto_id=auto_id)
    python_form = Choices(data, renderer=CareNetFormRenderer(), auto_id=auto_id)
    for name in Choices.base_fields:
        assert str(python_form[name]) == str(template_form[name]), name
        for mine, theirs in zip(python_form[name], template_form[name], strict=True):  # one radio or box at a time
            assert mine.tag() == theirs.tag() and str(mine) == str(theirs), name


def test_the_choice_widgets_are_written_in_python_not_through_their_templates() -> None:
    form = Choices({"grouped": "2", "kind": "remote", "boxes": ["sms"]}, renderer=CareNetFormRenderer())
    for name, write in (
        ("plain", select_html),
        ("grouped", select_html),
        ("many", select_html),
        ("kind", multiple_input_html),
        ("grouped_radio", multiple_input_html),
        ("boxes", multiple_input_html),
    ):
        field = form[name]
        widget = field.field.widget.get_context(field.html_name, field.value(), field.build_widget_attrs({}))["widget"]
        assert write(widget) is not None, name
    for option in form["kind"]:
        assert input_option_html(option.data) is not None and input_option_html({**option.data, "wrap_label": True})

"""Issue 14: a clinician's name is written one way on every page — the title abbreviated as stored, then the name."""

from __future__ import annotations

from types import SimpleNamespace

from django.template import Context, Template

from carenet.web.names import clinician_name


def test_the_title_is_abbreviated_before_the_name_and_left_out_when_there_is_none() -> None:
    doctor = SimpleNamespace(title="dr n. med.", first_name="Patrycja", last_name="Kaźmierczak")
    nurse = SimpleNamespace(title="", first_name="Joanna", last_name="Jaworska")
    assert clinician_name(doctor) == "dr n. med. Patrycja Kaźmierczak"
    assert clinician_name(nurse) == "Joanna Jaworska"
    assert clinician_name(None) == ""
    page = Template("{% load carenet_names %}[{{ doctor|clinician_name }}][{{ nobody|clinician_name }}]")
    assert page.render(Context({"doctor": doctor, "nobody": None})) == "[dr n. med. Patrycja Kaźmierczak][]"

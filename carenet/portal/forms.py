from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from carenet.network.models import City, Facility


class FacilityFilterForm(forms.Form):
    city = forms.ModelChoiceField(queryset=City.objects.none(), required=False, label=_("City"), empty_label=_("All"))
    kind = forms.ChoiceField(
        choices=[("", _("All")), *Facility.Kind.choices], required=False, label=_("Kind of facility")
    )
    q = forms.CharField(required=False, max_length=80, label=_("Name or street"))

    def __init__(self, *args: object, cities: object = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["city"].queryset = cities if cities is not None else City.objects.all()  # type: ignore[attr-defined]

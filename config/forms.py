"""What the app's forms share."""

import re

from django import forms
from django.forms import renderers
from django.forms.boundfield import BoundField


class AppliedValue(BoundField):
    """A filter shows the value it applies: "002" is meeting 2, "01/12/2026" the 1st of December (as typed, a select
    or a date picker would show nothing while the list is filtered by it). A refused value is shown as typed."""

    def value(self):
        cleaned = getattr(self.form, "cleaned_data", {})
        if self.name in cleaned and not self.errors:
            return self.field.prepare_value(cleaned[self.name])
        return super().value()


class WholeNumberField(forms.IntegerField):
    """Digits, with a minus if need be: Django's IntegerField reads 2025.0, 2_025 and other scripts' digits too
    (as Python's int() does), which a filter would then apply as 2025."""

    def to_python(self, value):
        if value not in self.empty_values and not re.fullmatch(r"-?[0-9]+", str(value).strip()):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return super().to_python(value)


class FilterForm(forms.Form):
    """The form of a list's filters (FilterSet Meta.form), its widgets written by Django's own widget templates in
    their Jinja2 version, which render the same HTML several times faster: a list's filters offer hundreds of
    options (owners, meetings, countries), each a template of its own, at every request.

    A filter sent empty (?status=) is as if it were not sent."""

    default_renderer = renderers.Jinja2()  # one, kept: its templates are compiled once per process
    bound_field_class = AppliedValue

    def __init__(self, data=None, *args, **kwargs):
        if data is not None and any("" in data.getlist(key) for key in data):
            data = data.copy()
            for key in list(data):
                if values := [value for value in data.getlist(key) if value != ""]:
                    data.setlist(key, values)
                else:
                    del data[key]
        super().__init__(data, *args, **kwargs)

    def clean(self):
        """Also refused: several values for a filter that takes one (the last would be used, the others dropped,
        as if they had not been asked: ?year=2019&year=2025)."""
        cleaned = super().clean()
        for name, field in self.fields.items():
            takes_several = getattr(field.widget, "allow_multiple_selected", False)
            if not takes_several and len(self.data.getlist(name)) > 1 and name not in self.errors:
                self.add_error(name, "Choose one value only.")
        return cleaned

"""What the app's forms share."""

from django import forms
from django.forms import renderers


class FilterForm(forms.Form):
    """The form of a list's filters (FilterSet Meta.form), its widgets written by Django's own widget templates in
    their Jinja2 version, which render the same HTML several times faster: a list's filters offer hundreds of
    options (owners, meetings, countries), each a template of its own, at every request."""

    default_renderer = renderers.Jinja2()  # one, kept: its templates are compiled once per process

    def clean(self):
        """Also refused: several values for a filter that takes one (the last would be used, the others dropped,
        as if they had not been asked: ?year=2019&year=2025)."""
        cleaned = super().clean()
        for name, field in self.fields.items():
            takes_several = getattr(field.widget, "allow_multiple_selected", False)
            if not takes_several and len(self.data.getlist(name)) > 1 and name not in self.errors:
                self.add_error(name, "Choose one value only.")
        return cleaned

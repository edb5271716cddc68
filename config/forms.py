"""What the app's forms share."""

from django import forms
from django.forms import renderers


class FilterForm(forms.Form):
    """The form of a list's filters (FilterSet Meta.form), its widgets written by Django's own widget templates in
    their Jinja2 version, which render the same HTML several times faster: a list's filters offer hundreds of
    options (owners, meetings, countries), each a template of its own, at every request."""

    default_renderer = renderers.Jinja2()  # one, kept: its templates are compiled once per process

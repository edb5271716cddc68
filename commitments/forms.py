from django import forms
from django.conf import settings
from django.utils.html import format_html, format_html_join

from commitments import attachments, handover, search
from commitments.models import NAMED_FIELDS, Commitment, ImportKind, NotificationPreference, ProgressUpdate, as_used
from commitments.permissions import nameable
from config.display import person
from config.merging import MergingFormMixin
from config.uploads import check_size, largest_file
from meetings.permissions import coordinated_groups, manageable_meetings, people_to_pick

DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class VersionedCommitmentForm(MergingFormMixin, forms.ModelForm):
    """A commitment form that refuses to overwrite a save made after the form was opened.

    The version the user started from travels in a hidden field. Cleaning locks the
    row (on PostgreSQL) so that nobody can save between this check and our save,
    and `Commitment.save_versioned` checks it once more in the database. A refused
    save merges field by field against the version the user opened (config/merging.py);
    the hidden version moves forward, so that saving the merged form is the next edit.
    """

    object_name = "commitment"
    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["expected_version"].initial = self.instance.version

    def clean(self):
        cleaned_data = super().clean()
        meeting, grantees = cleaned_data.get("meeting"), cleaned_data.get("access_granted_to")
        if meeting and grantees:
            Commitment.check_grantees(meeting, grantees)
        if self.instance.pk:
            expected = cleaned_data.get("expected_version")
            current = Commitment.objects.select_for_update().get(pk=self.instance.pk)
            last_change = current.history.select_related("history_user").first()
            if expected is None or expected != current.version:
                # First: a colleague's change explains the rest.
                self.refuse_stale(current, last_change, current.updated_at)
            self.apply_choices(current, last_change)
        if "follow_up_date" in cleaned_data:
            saved = self.instance.follow_up_date if self.instance.pk else None
            Commitment.check_follow_up_date(cleaned_data["follow_up_date"], saved)
        return cleaned_data

    def opened_record(self, current):
        expected = self.cleaned_data.get("expected_version")
        return current.history.filter(version=expected).order_by("-history_date").first() if expected else None

    def colleague_changes(self, current, base):
        from commitments.history import changes_since

        return changes_since(current, base.version) if base else []

    def moves_forward(self, data, current):
        data[self.add_prefix("expected_version")] = current.version

    def save_versioned(self, *, user) -> Commitment:
        """Save the edit through the model's compare-and-set; a form saved unchanged saves nothing (a new
        version would refuse a colleague's edit for nothing)."""
        commitment = super().save(commit=False)
        if commitment.pk and not self.changes_anything():
            return commitment
        if commitment.pk:
            commitment.save_versioned(self.cleaned_data["expected_version"], user=user)
        else:
            commitment.created_by = user
            commitment._history_user = user
            commitment.save()
        self.save_m2m()
        return commitment


class CommitmentRowForm(VersionedCommitmentForm):
    """A commitment as one row of its meeting's admin page: a row left as it was is neither checked nor saved,
    so that a colleague's edit of one commitment does not block saving the meeting."""

    def clean(self):
        if self.instance.pk and not self.has_changed():
            return self.cleaned_data
        return super().clean()


class SuggestionsInput(forms.TextInput):
    """A text input that suggests values (an HTML datalist), so that one name is typed one way."""

    def __init__(self, suggestions=(), attrs=None):
        super().__init__(attrs)
        self.suggestions = list(suggestions)

    def render(self, name, value, attrs=None, renderer=None):
        list_id = f"{name}-suggestions"
        html = super().render(name, value, {**(attrs or {}), "list": list_id}, renderer)
        options = format_html_join("", '<option value="{}">', ((option,) for option in self.suggestions))
        return format_html('{}<datalist id="{}">{}</datalist>', html, list_id, options)


MAX_SUGGESTIONS = 200


class CommitmentForm(VersionedCommitmentForm):
    """Everything about a commitment, for the coordinators of its group."""

    class Meta:
        model = Commitment
        fields = [
            "meeting",
            "title",
            "description",
            "category",
            "record_paragraph",
            "owner",
            "responsible_side",
            "lead_agency",
            "partner_counterpart",
            "follow_up_date",
            "status",
            "priority",
            "restricted",
            "access_granted_to",
        ]
        widgets = {
            "follow_up_date": DATE_INPUT,
            "description": forms.Textarea(attrs={"rows": 4}),
            "access_granted_to": forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["meeting"].queryset = (
            manageable_meetings(user).select_related("group").order_by("group__name", "-number")
        )
        members = people_to_pick(user).order_by("first_name", "last_name")
        if self.instance.pk:  # the people of the commitment's own group
            members = members.filter(memberships__group=self.instance.meeting.group_id)
        for name in ("owner", "access_granted_to"):
            self.fields[name].queryset = nameable(members, self.instance, name)
            self.fields[name].label_from_instance = person
        gone = self.instance.owner if self.instance.owner_id and not members.filter(pk=self.instance.owner_id) else None
        if gone is not None:  # left the group, or the account was closed: said beside the name
            why = " (no longer a member)" if gone.is_active else " (account closed)"
            self.fields["owner"].label_from_instance = lambda user: person(user) + (why if user == gone else "")
        groups = [self.instance.meeting.group_id] if self.instance.pk else coordinated_groups(user)
        used = Commitment.objects.filter(meeting__group__in=groups)
        for name in NAMED_FIELDS:
            self.fields[name].widget = SuggestionsInput(used.names_used(name)[:MAX_SUGGESTIONS])

    def clean(self):
        cleaned_data = super().clean()
        for name in NAMED_FIELDS:
            if cleaned_data.get(name):
                cleaned_data[name] = as_used(cleaned_data[name], self.fields[name].widget.suggestions)
        return cleaned_data


class OwnerCommitmentForm(VersionedCommitmentForm):
    """What an owner may change on their own commitment. Moving the follow-up date asks why: the reason goes
    into the journal, and the group's coordinators see the move in their next summary."""

    reason = forms.CharField(
        label="Why does the follow-up date move?",
        required=False,
        max_length=300,
        help_text="Only when you move the date, in a few words; it is recorded in the progress journal.",
    )

    class Meta:
        model = Commitment
        fields = ["status", "follow_up_date"]
        widgets = {"follow_up_date": DATE_INPUT}

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.moved_from = None

    def clean(self):
        cleaned_data = super().clean()
        saved, new = self.instance.follow_up_date, cleaned_data.get("follow_up_date")
        if saved is not None and "follow_up_date" in cleaned_data and new != saved:
            if not cleaned_data.get("reason"):
                self.add_error("reason", "Say in a few words why the date moves.")
            self.moved_from = saved
        return cleaned_data

    def save_versioned(self, *, user) -> Commitment:
        commitment = super().save_versioned(user=user)
        if self.moved_from is not None:
            commitment.record_date_move(author=user, moved_from=self.moved_from, reason=self.cleaned_data["reason"])
        return commitment


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


ATTACHMENTS_PER_UPLOAD = 10


class AttachmentsField(forms.FileField):
    """Files to attach, chosen together: each checked (attachments.check), every refusal said at once."""

    widget = MultipleFileInput

    def __init__(self, **kwargs):
        kwargs.setdefault("label", "Files")
        kwargs.setdefault(
            "help_text",
            f"PDF, Word, Excel, PowerPoint, OpenDocument, images, plain text or e-mails (.eml, .msg), each named with "
            f"its extension; up to {ATTACHMENTS_PER_UPLOAD} files and {largest_file()} at a time.",
        )
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        files = [file for file in (data if isinstance(data, list | tuple) else [data]) if file]
        if not files:
            if self.required:
                raise forms.ValidationError("Choose a file to attach.", code="required")
            return []
        if len(files) > ATTACHMENTS_PER_UPLOAD:
            raise forms.ValidationError(f"Attach at most {ATTACHMENTS_PER_UPLOAD} files at a time.", code="max")
        checked, errors = [], []
        for file in files:
            try:
                checked.append(attachments.check(super().clean(file, initial)))
            except forms.ValidationError as error:
                errors.extend(error.error_list)
        if errors:
            raise forms.ValidationError(errors)
        return checked


class AttachmentForm(forms.Form):
    """Files attached to a meeting or a commitment: refused if one of them already is. Prefixed, as the
    commitment's page also holds the progress form's files."""

    prefix = "attach"
    alike_when_blank = True  # its target only checks what is sent (templatetags/tracker.py: form_fields)
    files = AttachmentsField()

    def __init__(self, *args, target, **kwargs):
        super().__init__(*args, **kwargs)
        self.target = target

    def clean_files(self):
        files = self.cleaned_data["files"]
        attachments.check_not_attached(self.target, files)
        return files


class ProgressUpdateForm(forms.ModelForm):
    alike_when_blank = True  # templatetags/tracker.py: form_fields
    files = AttachmentsField(label="Files with this update", required=False)

    class Meta:
        model = ProgressUpdate
        fields = ["text", "new_status", "source"]
        widgets = {"text": forms.Textarea(attrs={"rows": 3})}
        labels = {"text": "What happened?"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["new_status"].choices = [("", "Keep the current status"), *Commitment.Status.choices]

    def clean_files(self):
        files = self.cleaned_data["files"]
        attachments.check_distinct(files)
        return files


class NotificationPreferenceForm(forms.ModelForm):
    class Meta:
        model = NotificationPreference
        fields = ["due_soon", "overdue"]
        help_texts = {
            "due_soon": "7 days and 1 day before the follow-up date of each of your commitments.",
            "overdue": "The day after the follow-up date, then weekly until the commitment is done or dropped.",
        }


TOKEN_LIFETIMES = (7, 30, 90, 365)  # days a new API token may be valid for, up to API_TOKEN_MAX_DAYS


class ApiTokenForm(forms.Form):
    days = forms.TypedChoiceField(label="Valid for", coerce=int)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        longest = settings.API_TOKEN_MAX_DAYS
        days = sorted({d for d in TOKEN_LIFETIMES if d <= longest} | {longest})
        self.fields["days"].choices = [(d, f"{d} days") for d in days]
        self.fields["days"].initial = 90 if 90 in days else days[-1]


class HandoverForm(forms.Form):
    """Whose open commitments go to whom, in which of the groups the user coordinates."""

    group = forms.ModelChoiceField(queryset=None, label="Working group", empty_label=None)
    officer = forms.ModelChoiceField(queryset=None, label="Officer handing over")
    successor = forms.ModelChoiceField(queryset=None, label="Successor")

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        groups = coordinated_groups(user)
        self.fields["group"].queryset = groups
        self.fields["officer"].queryset = handover.officers(groups)
        self.fields["successor"].queryset = handover.successors(groups)
        for name in ("officer", "successor"):
            self.fields[name].label_from_instance = person

    def clean(self):
        data = super().clean()
        if all(data.get(name) for name in ("group", "officer", "successor")):
            for field, errors in handover.refusals(data["group"], data["officer"], data["successor"]).items():
                self.add_error(field, errors)
        return data


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label="The file holds", choices=ImportKind.choices, widget=forms.RadioSelect, initial=ImportKind.COMMITMENTS
    )
    file = forms.FileField(
        label="Spreadsheet",
        help_text="CSV (UTF-8 or Windows-1252) or Excel workbook (.xlsx): a heading row, then one row for each "
        "meeting or commitment.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx,.txt"}),
    )

    def clean_file(self):
        file = self.cleaned_data["file"]
        check_size(file, file.name)
        return file


class SearchForm(forms.Form):
    """The search box's query (commitments/search.py), and the one kind of hits to list, if any."""

    q = forms.CharField(
        label="Search for",
        max_length=search.MAX_LENGTH,
        required=False,
        widget=forms.SearchInput,
        help_text='Words, a "quoted phrase", or a reference such as C-12.',
    )
    kind = forms.ChoiceField(
        label="Kind",
        choices=[("", "All"), *((kind.slug, kind.label) for kind in search.KINDS.values())],
        required=False,
    )

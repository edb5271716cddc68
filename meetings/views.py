from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.utils.functional import cached_property
from django.views import View
from django.views.generic import CreateView, DetailView, ListView, UpdateView

from config.access import check, get_visible_or_404
from config.views import AtomicPostMixin, InvalidFormStatusMixin, NearestPageMixin
from meetings.calendar import meeting_ics
from meetings.filters import MeetingFilterSet
from meetings.forms import MeetingForm, meeting_formsets, previous_co_chairs, row_changes, row_errors
from meetings.models import Meeting
from meetings.permissions import can_manage_group, coordinated_groups, group_roles, is_coordinator, role_label


def filtered_meetings(request) -> tuple[MeetingFilterSet, QuerySet]:
    """The meetings of the user's groups, as the list's filter chooses them (none for an invalid filter)."""
    base = Meeting.objects.visible_to(request.user).select_related("group").order_by("group__name", "-number")
    filterset = MeetingFilterSet(request.GET, queryset=base, request=request)
    return filterset, filterset.qs if filterset.is_valid() else base.none()


class MeetingListView(NearestPageMixin, ListView):
    """The meetings of the user's groups, filtered (the commitments app adds its column: commitments/views.py)."""

    template_name = "meetings/meeting_list.html"
    paginate_by = 50

    def get_queryset(self):
        self.filterset, meetings = filtered_meetings(self.request)
        return meetings

    def get_context_data(self, **kwargs):
        return super().get_context_data(filter=self.filterset, can_create=is_coordinator(self.request.user), **kwargs)


class MeetingDetailView(DetailView):
    """A meeting's page: place, dates, participants, agenda, outcome (the commitments app adds what was agreed)."""

    template_name = "meetings/meeting_detail.html"

    def get_queryset(self):
        return Meeting.objects.select_related("group").prefetch_related("participants", "agenda_topics")

    def get_object(self, queryset=None):
        return get_visible_or_404(
            self.get_queryset(), self.request, roles=group_roles(self.request.user), pk=self.kwargs["pk"]
        )

    def get_context_data(self, **kwargs):
        user, meeting = self.request.user, self.object
        return super().get_context_data(
            today=timezone.localdate(),
            role=role_label(user, meeting.group_id),
            can_manage=can_manage_group(user, meeting.group_id),
            **kwargs,
        )


class MeetingFormMixin(InvalidFormStatusMixin, AtomicPostMixin):
    """The meeting's form with its participants and agenda as rows, all saved together or not at all."""

    template_name = "meetings/meeting_form.html"
    form_class = MeetingForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    @cached_property
    def formsets(self) -> list:
        data = self.request.POST if self.request.method == "POST" else None
        if self.object:
            codes = self.object.group.country_codes
        else:
            codes = {code for group in coordinated_groups(self.request.user) for code in group.country_codes}
        copy = data is None and self.object and self.request.GET.get("copy_co_chairs")
        co_chairs = previous_co_chairs(self.object)[1] if copy else ()
        return meeting_formsets(self.object or Meeting(), data, codes, co_chairs)

    def get_context_data(self, **kwargs):
        previous, co_chairs = previous_co_chairs(self.object) if self.object else (None, [])
        copy_from = previous if co_chairs and not self.object.participants.filter(role="co_chair").exists() else None
        formsets, unsaved_rows = self.formsets, []
        form = kwargs.get("form")
        if form is not None and form.stale:
            # A colleague saved first: show the rows as they are now, and what the user's rows said.
            unsaved_rows = [change for formset in formsets for change in row_changes(formset)]
            meeting = Meeting.objects.select_related("group").get(pk=self.object.pk)
            formsets = meeting_formsets(meeting, None, meeting.group.country_codes)
        return super().get_context_data(
            formsets=formsets,
            unsaved_rows=unsaved_rows,
            row_errors=[error for formset in formsets for error in row_errors(formset)],
            copy_co_chairs_from=copy_from,
            **kwargs,
        )

    def form_valid(self, form):
        if not all(formset.is_valid() for formset in self.formsets):
            return self.form_invalid(form)
        if self.object and not form.changes_anything() and not any(f.has_changed() for f in self.formsets):
            messages.info(self.request, "Nothing changed: nothing was saved.")  # and no version for a colleague
            return redirect(self.object)
        form.instance._history_user = self.request.user
        self.object = form.save()
        for formset in self.formsets:
            formset.instance = self.object
            formset.save()
        if self.object.status == Meeting.Status.SCHEDULED and "status" in form.changed_data:
            messages.success(
                self.request,
                f"{self.object.title} saved: scheduled for {self.object.dates}. Its owners are reminded before it.",
            )
        elif self.object.is_provisional:
            messages.success(
                self.request,
                f"{self.object.title} saved. Its dates are {self.object.dates_display}: no reminders count down "
                "to them until the meeting is scheduled.",
            )
        else:
            messages.success(self.request, f"{self.object.title} saved.")
        return redirect(self.object)


class MeetingCreateView(MeetingFormMixin, CreateView):
    def dispatch(self, request, *args, **kwargs):
        check(is_coordinator(request.user))
        return super().dispatch(request, *args, **kwargs)


class MeetingUpdateView(MeetingFormMixin, UpdateView):
    def get_object(self, queryset=None):
        meeting = get_meeting(self.request, self.kwargs["pk"])
        check(can_manage_group(self.request.user, meeting.group_id))
        return meeting


def get_meeting(request, pk: int) -> Meeting:
    return get_visible_or_404(Meeting.objects.select_related("group"), request, roles=group_roles(request.user), pk=pk)


class MeetingCalendarView(View):
    """The meeting as an .ics file for one's calendar."""

    def get(self, request, pk: int):
        meeting = get_meeting(request, pk)
        if meeting.start_date is None:
            raise Http404("This meeting has no date yet.")
        response = HttpResponse(meeting_ics(meeting), content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="meeting-{meeting.group.slug}-{meeting.number}.ics"'
        return response

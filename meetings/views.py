from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils import timezone
from django.views import View
from django.views.generic import CreateView, DetailView, ListView, UpdateView

from config.access import check, get_visible_or_404
from config.views import InvalidFormStatusMixin
from meetings.calendar import meeting_ics
from meetings.filters import MeetingFilterSet
from meetings.forms import MeetingForm
from meetings.models import Meeting
from meetings.permissions import can_manage_group, is_coordinator, role_label


class MeetingListView(ListView):
    """The meetings of the user's groups, filtered (the commitments app adds its column: commitments/views.py)."""

    template_name = "meetings/meeting_list.html"
    paginate_by = 50

    def get_queryset(self):
        base = Meeting.objects.visible_to(self.request.user).select_related("group").order_by("group__name", "-number")
        self.filterset = MeetingFilterSet(self.request.GET, queryset=base, request=self.request)
        return self.filterset.qs if self.filterset.is_valid() else base.none()

    def get_context_data(self, **kwargs):
        return super().get_context_data(filter=self.filterset, can_create=is_coordinator(self.request.user), **kwargs)


class MeetingDetailView(DetailView):
    """A meeting's page: place, dates, participants, agenda, outcome (the commitments app adds what was agreed)."""

    template_name = "meetings/meeting_detail.html"

    def get_queryset(self):
        return Meeting.objects.select_related("group").prefetch_related("participants", "agenda_topics")

    def get_object(self, queryset=None):
        return get_visible_or_404(self.get_queryset(), self.request, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        user, meeting = self.request.user, self.object
        return super().get_context_data(
            today=timezone.localdate(),
            role=role_label(user, meeting.group_id),
            can_manage=can_manage_group(user, meeting.group_id),
            **kwargs,
        )


class MeetingFormMixin(InvalidFormStatusMixin):
    template_name = "meetings/meeting_form.html"
    form_class = MeetingForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        form.instance._history_user = self.request.user
        self.object = form.save()
        if self.object.is_provisional:
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
        meeting = get_visible_or_404(Meeting.objects.select_related("group"), self.request, pk=self.kwargs["pk"])
        check(can_manage_group(self.request.user, meeting.group_id))
        return meeting


def get_meeting(request, pk: int) -> Meeting:
    return get_visible_or_404(Meeting.objects.select_related("group"), request, pk=pk)


class MeetingCalendarView(View):
    """The meeting as an .ics file for one's calendar."""

    def get(self, request, pk: int):
        meeting = get_meeting(request, pk)
        if meeting.start_date is None:
            raise Http404("This meeting has no date yet.")
        response = HttpResponse(meeting_ics(meeting), content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="meeting-{meeting.group.slug}-{meeting.number}.ics"'
        return response

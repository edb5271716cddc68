from collections import Counter

from django.contrib import messages
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View
from django.views.generic import CreateView, DetailView, ListView, UpdateView

from commitments.brief import brief_csv, brief_docx, build_brief, compare, for_reader
from commitments.charts import bars
from commitments.models import BriefSnapshot, Commitment
from config.access import check, get_visible_or_404
from config.security import security_event
from config.views import InvalidFormStatusMixin
from meetings.calendar import meeting_ics
from meetings.filters import MeetingFilterSet
from meetings.forms import MeetingForm
from meetings.models import Meeting
from meetings.permissions import can_manage_group, is_coordinator, role_label

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


class MeetingListView(ListView):
    template_name = "meetings/meeting_list.html"
    paginate_by = 50

    def get_queryset(self):
        base = (
            Meeting.objects.visible_to(self.request.user)
            .select_related("group")
            .annotate(
                commitment_count=Count(
                    "commitments", filter=Q(commitments__in=Commitment.objects.visible_to(self.request.user))
                )
            )
            .order_by("group__name", "-number")
        )
        self.filterset = MeetingFilterSet(self.request.GET, queryset=base, request=self.request)
        return self.filterset.qs if self.filterset.is_valid() else base.none()

    def get_context_data(self, **kwargs):
        return super().get_context_data(filter=self.filterset, can_create=is_coordinator(self.request.user), **kwargs)


class MeetingDetailView(DetailView):
    template_name = "meetings/meeting_detail.html"

    def get_object(self, queryset=None):
        queryset = Meeting.objects.select_related("group").prefetch_related(
            "participants",
            "agenda_topics",
            Prefetch(
                "commitments",
                queryset=Commitment.objects.visible_to(self.request.user)
                .select_related("category", "owner")
                .order_by("category__order", "category__name", "pk"),
            ),
        )
        return get_visible_or_404(queryset, self.request, pk=self.kwargs["pk"])

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


class BriefMixin:
    """The brief shown: the frozen one if there is one (unless ?live=1), else the live one.

    Both are filtered for the reader: restricted commitments appear only to those who may see them.
    """

    def get_brief(self, request, pk: int):
        self.meeting = get_meeting(request, pk)
        latest = self.meeting.brief_snapshots.first()
        self.frozen = for_reader(latest.data, request.user, self.meeting.group_id) if latest else None
        self.latest_snapshot = latest
        self.snapshot = None if request.GET.get("live") else latest
        self.live = for_reader(build_brief(self.meeting), request.user, self.meeting.group_id)
        return self.frozen if self.snapshot else self.live


class BriefView(BriefMixin, View):
    template_name = "meetings/brief.html"

    def get(self, request, pk: int):
        brief = self.get_brief(request, pk)
        return render(
            request,
            self.template_name,
            {
                "meeting": self.meeting,
                "brief": brief,
                "chart": bars(
                    [(s["category"], Counter(line["status"] for line in s["lines"])) for s in brief["sections"]]
                ),
                "snapshot": self.snapshot,
                "latest_snapshot": self.latest_snapshot,
                "differences": compare(self.frozen, self.live) if self.frozen else [],
                "can_freeze": can_manage_group(request.user, self.meeting.group_id),
                "query": "?live=1" if request.GET.get("live") else "",
            },
        )


class BriefDownloadView(BriefMixin, View):
    """The brief as .docx or .csv, named after the meeting."""

    def get(self, request, pk: int, extension: str):
        brief = self.get_brief(request, pk)
        name = f"brief-{self.meeting.group.slug}-{self.meeting.number}{'-frozen' if self.snapshot else ''}"
        if extension == "docx":
            content, content_type = brief_docx(brief), DOCX
        else:
            content, content_type = brief_csv(brief), "text/csv; charset=utf-8"
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{name}.{extension}"'
        security_event(request, "brief download", meeting=self.meeting.pk, commitments=brief["total"])
        return response


class BriefFreezeView(View):
    def post(self, request, pk: int):
        meeting = get_meeting(request, pk)
        check(can_manage_group(request.user, meeting.group_id))
        BriefSnapshot.objects.create(meeting=meeting, data=build_brief(meeting), frozen_by=request.user)
        messages.success(request, "Brief frozen: this version is now what is shown and downloaded.")
        return redirect("meetings:brief", pk=meeting.pk)


class MeetingCalendarView(View):
    """The meeting as an .ics file for one's calendar."""

    def get(self, request, pk: int):
        meeting = get_meeting(request, pk)
        if meeting.start_date is None:
            raise Http404("This meeting has no date yet.")
        response = HttpResponse(meeting_ics(meeting), content_type="text/calendar; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="meeting-{meeting.group.slug}-{meeting.number}.ics"'
        return response

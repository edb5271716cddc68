from django.contrib import messages
from django.db.models import Count, Prefetch
from django.shortcuts import redirect
from django.utils import timezone
from django.views.generic import CreateView, DetailView, ListView, UpdateView

from commitments import permissions
from commitments.models import Commitment
from meetings.filters import MeetingFilterSet
from meetings.forms import MeetingForm
from meetings.models import Meeting


class MeetingListView(ListView):
    template_name = "meetings/meeting_list.html"
    paginate_by = 50

    def get_queryset(self):
        base = (
            Meeting.objects.visible_to(self.request.user)
            .select_related("group")
            .annotate(commitment_count=Count("commitments"))
            .order_by("group__name", "-number")
        )
        self.filterset = MeetingFilterSet(self.request.GET, queryset=base, request=self.request)
        return self.filterset.qs if self.filterset.is_valid() else base.none()

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            filter=self.filterset, can_create=permissions.is_coordinator(self.request.user), **kwargs
        )


class MeetingDetailView(DetailView):
    template_name = "meetings/meeting_detail.html"

    def get_object(self, queryset=None):
        queryset = Meeting.objects.select_related("group").prefetch_related(
            "participants",
            "agenda_topics",
            Prefetch(
                "commitments",
                queryset=Commitment.objects.select_related("category", "owner").order_by(
                    "category__order", "category__name", "pk"
                ),
            ),
        )
        return permissions.get_visible_or_404(queryset, self.request.user, pk=self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        user, meeting = self.request.user, self.object
        return super().get_context_data(
            today=timezone.localdate(),
            role=permissions.role_label(user, meeting.group_id),
            can_manage=permissions.can_manage_group(user, meeting.group_id),
            **kwargs,
        )


class MeetingFormMixin:
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
        permissions.check(permissions.is_coordinator(request.user))
        return super().dispatch(request, *args, **kwargs)


class MeetingUpdateView(MeetingFormMixin, UpdateView):
    def get_object(self, queryset=None):
        meeting = permissions.get_visible_or_404(
            Meeting.objects.select_related("group"), self.request.user, pk=self.kwargs["pk"]
        )
        permissions.check(permissions.can_manage_group(self.request.user, meeting.group_id))
        return meeting

import datetime
from collections import Counter
from urllib.parse import urlencode

from csp.decorators import csp_update
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Count, F, Prefetch, Q, QuerySet
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import get_script_prefix, reverse
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.decorators import method_decorator
from django.utils.functional import SimpleLazyObject
from django.views import View
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import CreateView, DetailView, ListView, TemplateView, UpdateView
from knox.models import AuthToken

from commitments import attachments, exports, handover, importing, permissions, search
from commitments.attachments import DOWNLOAD_POLICY
from commitments.brief import (
    NO_UPDATE,
    NOTHING_TO_REPORT,
    brief_csv,
    build_brief,
    compare,
    files_still_kept,
    for_reader,
    live_brief,
    marking,
    rendered_key,
    restricted_as_now,
    where_and_when,
)
from commitments.charts import bars, category_status_chart
from commitments.data_version import data_version
from commitments.documents import Paper, brief_docx, brief_pdf
from commitments.feeds import user_feed
from commitments.filters import CommitmentFilterSet
from commitments.forms import (
    ApiTokenForm,
    AttachmentForm,
    CommitmentForm,
    HandoverForm,
    ImportForm,
    NotificationPreferenceForm,
    OwnerCommitmentForm,
    ProgressUpdateForm,
    SearchForm,
)
from commitments.history import change_log
from commitments.models import (
    Attachment,
    BriefSnapshot,
    CalendarFeed,
    Category,
    Commitment,
    ImportFile,
    NotificationPreference,
    ProgressUpdate,
    totals_by_group,
)
from commitments.reminders.digests import read_unsubscribe_token
from config.access import check, get_visible_or_404
from config.display import PERSON_FIELDS, person
from config.security import security_event
from config.views import (
    INVALID_FORM_STATUS,
    AtomicPostMixin,
    InvalidFormStatusMixin,
    NearestPageMixin,
    PostOnlyMixin,
)
from meetings import views as meeting_views
from meetings.models import WorkingGroup
from meetings.permissions import can_manage_group, group_roles, is_coordinator, role_label
from meetings.views import get_meeting

LIST_RELATED = ("meeting__group", "category", "owner")
# What a row of the list shows (commitments/jinja2/commitments/rows.html): the rest is not read (50 rows: 4.6 → 3.0 ms
# on SQLite, 7.7 → 5.4 on PostgreSQL). A field shown but not named here would be read once per row: the list's
# query-count test fails then.
LIST_FIELDS = (
    *("title", "restricted", "status", "follow_up_date", "priority", "meeting", "category", "owner"),
    *("meeting__number", "meeting__group__short_name", "category__name"),
    *(f"owner__{name}" for name in PERSON_FIELDS),
)
DASHBOARD_MINE = 10  # the soonest; the list page has them all
# What a meeting's page shows of each commitment agreed there (commitments/meeting_detail.html).
AGREED_FIELDS = (
    *("meeting", "title", "restricted", "status", "follow_up_date", "category", "owner"),
    *("category__name", "category__order", *(f"owner__{name}" for name in PERSON_FIELDS)),
)
# What the journal shows of a progress update (commitments/jinja2/commitments/journal.html): its author's name alone.
JOURNAL_FIELDS = (
    *("commitment", "author", "created_at", "text", "new_status", "source", "moved_from", "moved_to"),
    *(f"author__{name}" for name in PERSON_FIELDS),
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
NEW_API_TOKEN = "new_api_token"  # noqa: S105 (a session key: the token just created, shown once)


class DashboardView(TemplateView):
    template_name = "commitments/dashboard.html"

    def get_context_data(self, **kwargs):
        user, today = self.request.user, timezone.localdate()
        roles = group_roles(user)  # the reader's groups by id, read once for the request (and the role labels)
        visible = Commitment.objects.visible_to(user, roles)
        groups = list(WorkingGroup.objects.visible_to(user, roles).with_upcoming_home_sessions(today))
        rows = visible.counts(today)
        counts, charts = totals_by_group(rows), category_status_chart(rows, list(Category.objects.all()))
        for group in groups:
            group.counts = counts.get(group.pk, {"total": 0, "open": 0, "overdue": 0, "done": 0})
            group.chart = charts.get(group.pk)
            group.role = role_label(user, group.pk)
        mine = visible.open().filter(owner=user)
        return super().get_context_data(
            today=today,
            groups=groups,
            my_commitments=mine.select_related(*LIST_RELATED)
            .only(*LIST_FIELDS)
            .order_by(F("follow_up_date").asc(nulls_last=True), "pk")[:DASHBOARD_MINE],
            my_open_count=mine.count(),
            # The groups by id: PostgreSQL then reads the newest updates first. Handovers left out as "not (… is not
            # null)": SQLite would pick the index of handed_over_to for "is null" (nearly every row) and sort them
            # all, 14 ms instead of 4 on the benchmark's data.
            latest_updates=ProgressUpdate.objects.newest_visible_to(user, roles)
            .exclude(handed_over_to__isnull=False)
            .select_related("author", "commitment")[:10],
            **kwargs,
        )


def filtered_commitments(request) -> tuple[CommitmentFilterSet, QuerySet]:
    """The commitments the user may see, narrowed by the list's filter (none if the filter is invalid)."""
    base = Commitment.objects.visible_to(request.user, group_roles(request.user)).select_related(*LIST_RELATED)
    filterset = CommitmentFilterSet(request.GET, queryset=base, request=request)
    return filterset, (filterset.qs if filterset.is_valid() else base.none())


def filter_form_key(request) -> str:
    """What the list's filter form shows depends on: the options of what the user may see, which change only with the
    data (data_version), the values asked for (the query, the page aside) and the path the site is reached under (its
    links start with it). Its cache key, per user."""
    query = request.GET.copy()
    query.pop("page", None)
    return f"{data_version()}:{get_script_prefix()}:{request.user.pk}:{query.urlencode()}"


class SearchView(View):
    """The search box's answers (commitments/search.py): the best hits of each kind the user may read, with their
    counts, or every hit of one kind a page at a time; a reference (C-12) to a commitment they may read opens it."""

    template_name = "commitments/search.html"

    def get(self, request):
        form = SearchForm(request.GET)
        text = form.cleaned_data["q"] if form.is_valid() else ""
        context = {"form": form, "text": text, "full_text": search.on_postgresql()}
        if text and (commitment := search.referenced(request.user, text)):
            return redirect(commitment)
        if text and form.cleaned_data["kind"]:
            kind = search.KINDS[form.cleaned_data["kind"]]
            context["kind"] = kind
            context["page_obj"], context["hits"] = search.page(request.user, kind, text, request.GET.get("page"))
        elif text:
            context["groups"] = search.overview(request.user, text)
            context["found"] = any(group.count for group in context["groups"])
        return render(request, self.template_name, context)


class CommitmentListView(NearestPageMixin, ListView):
    template_name = "commitments/commitment_list.html"
    paginate_by = 50

    def get_queryset(self):
        self.filterset, queryset = filtered_commitments(self.request)
        return queryset.only(*LIST_FIELDS)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            filter=self.filterset,
            filter_key=filter_form_key(self.request),
            today=timezone.localdate(),
            can_create=is_coordinator(self.request.user),
            **kwargs,
        )


def get_commitment(request, pk: int) -> Commitment:
    """The commitment if the user may see it, with what its pages show; 404 otherwise."""
    queryset = Commitment.objects.select_related("meeting__group", "category", "owner", "created_by")
    return get_visible_or_404(queryset, request, roles=group_roles(request.user), pk=pk)


def journal_of(commitment: Commitment) -> tuple[list[ProgressUpdate], list[Attachment]]:
    """The commitment's progress updates, newest first, each with its files (`files`), and all its files, its own and
    its updates', each with its update: two queries."""
    updates = commitment.progress_updates.select_related("author").only(*JOURNAL_FIELDS)
    updates = list(updates.order_by("-created_at", "-pk"))
    files = list(commitment.attachments.listed())
    by_pk = {update.pk: update for update in updates}
    for update in updates:
        update.files = []
    for attachment in files:
        if update := by_pk.get(attachment.progress_update_id):  # not one posted between the two queries
            attachment.progress_update = update
            update.files.append(attachment)
    return updates, files


def detail_context(request, commitment: Commitment, progress_form=None, posted=False, attachment_form=None) -> dict:
    user = request.user
    updates, files = journal_of(commitment)
    return {
        "commitment": commitment,
        "today": timezone.localdate(),
        "role": role_label(user, commitment.meeting.group_id),
        "updates": updates,
        "attachments": files,
        "can_attach": permissions.can_attach(user, commitment),
        "can_remove_attachments": permissions.can_manage_commitment(user, commitment),
        "attachment_form": attachment_form or AttachmentForm(target=commitment),
        "history": change_log(commitment, user),
        "grantees": commitment.access_granted_to.order_by("first_name", "last_name") if commitment.restricted else [],
        "can_edit": permissions.can_update_commitment(user, commitment),
        "can_post": permissions.can_post_progress(user, commitment),
        "progress_form": progress_form or ProgressUpdateForm(),
        "posted": posted,  # a progress update was just posted (htmx: announced, and focused)
    }


class CommitmentDetailView(DetailView):
    template_name = "commitments/commitment_detail.html"

    def get_object(self, queryset=None):
        return get_commitment(self.request, self.kwargs["pk"])

    def get_context_data(self, **kwargs):
        return {**super().get_context_data(**kwargs), **detail_context(self.request, self.object)}


class ProgressCreateView(PostOnlyMixin, View):
    """Posts a progress update: a fragment for htmx, a redirect (or the page with errors) without it."""

    form_page_name = "commitments:detail"

    def post(self, request, pk: int):
        commitment = get_commitment(request, pk)
        check(permissions.can_post_progress(request.user, commitment))
        form = ProgressUpdateForm(request.POST, request.FILES)
        if form.is_valid():
            files = form.cleaned_data.pop("files")
            with transaction.atomic():
                update = commitment.post_progress(author=request.user, **form.cleaned_data)
                attachments.attach(update, files, user=request.user)
            form = None
            if not request.htmx:
                messages.success(request, "Progress update posted.")
                return redirect(commitment)
        if form is not None:
            attachments.log_refused(request, form.errors.as_data().get("files", []))
        context = detail_context(request, commitment, form, posted=form is None)
        template = "commitments/_journal.html" if request.htmx else "commitments/commitment_detail.html"
        return render(request, template, context, status=200 if form is None else INVALID_FORM_STATUS)


class CommitmentAttachView(PostOnlyMixin, CommitmentDetailView):
    """Files attached to a commitment from its page: by its owner or a coordinator."""

    form_page_name = "commitments:detail"

    def post(self, request, pk: int):
        self.object = commitment = self.get_object()
        check(permissions.can_attach(request.user, commitment))
        form = AttachmentForm(request.POST, request.FILES, target=commitment)
        if form.is_valid():
            attach_and_say(request, commitment, form.cleaned_data["files"])
            return redirect(f"{commitment.get_absolute_url()}#attachments")
        attachments.log_refused(request, form.errors.as_data().get("files", []))
        context = detail_context(request, commitment, attachment_form=form)
        return render(request, self.template_name, {"object": commitment, **context}, status=INVALID_FORM_STATUS)


def attach_and_say(request, target, files) -> None:
    try:
        attachments.attach(target, files, user=request.user)
    except ValidationError as error:  # the same file attached by someone else meanwhile
        messages.error(request, " ".join(error.messages))
        return
    names = ", ".join(f"“{checked.name}”" for checked in files)
    messages.success(request, f"Attached {names}.")


class CommitmentCreateView(InvalidFormStatusMixin, AtomicPostMixin, CreateView):
    template_name = "commitments/commitment_form.html"
    form_class = CommitmentForm

    def dispatch(self, request, *args, **kwargs):
        check(is_coordinator(request.user))
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return {name: self.request.GET.get(name) for name in ("meeting", "category")}

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        if self.request.method == "GET" and self.request.GET.get("meeting"):
            form.fields["title"].widget.attrs["autofocus"] = True  # the next of a row: straight to its title
        return form

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        self.object = form.save_versioned(user=self.request.user)
        if "_addanother" in self.request.POST:  # the next one of the same meeting and category
            messages.success(self.request, f"Commitment recorded: {self.object.title}. Enter the next one.")
            query = urlencode({"meeting": self.object.meeting_id, "category": self.object.category_id})
            return redirect(f"{reverse('commitments:create')}?{query}")
        messages.success(self.request, "Commitment recorded.")
        return redirect(self.object)


class CommitmentUpdateView(InvalidFormStatusMixin, AtomicPostMixin, UpdateView):
    """Coordinators edit everything; owners the status and follow-up date of their own."""

    template_name = "commitments/commitment_form.html"

    def get_object(self, queryset=None):
        commitment = get_commitment(self.request, self.kwargs["pk"])
        self.editable = permissions.editable_fields(self.request.user, commitment)
        check(self.editable != ())
        return commitment

    def get_form_class(self):
        return CommitmentForm if self.editable is None else OwnerCommitmentForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        form.save_versioned(user=self.request.user)
        messages.success(self.request, "Changes saved.")
        return redirect(self.object)


class NotificationSettingsView(InvalidFormStatusMixin, UpdateView):
    """Which optional reminders the user receives."""

    template_name = "commitments/notification_settings.html"
    form_class = NotificationPreferenceForm

    def get_object(self, queryset=None):
        return NotificationPreference.objects.get_or_create(user=self.request.user)[0]

    def get_context_data(self, **kwargs):
        feed = CalendarFeed.objects.get_or_create(user=self.request.user)[0]
        kwargs.setdefault("token_form", ApiTokenForm())
        return super().get_context_data(
            feed_url=settings.SITE_URL + feed.secret_path(),
            api_token=AuthToken.objects.filter(user=self.request.user).order_by("-created").first(),
            new_api_token=self.request.session.pop(NEW_API_TOKEN, ""),  # readable once: only its hash is kept
            **kwargs,
        )

    def form_valid(self, form):
        form.save()
        messages.success(self.request, "Notification settings saved.")
        return redirect("notification-settings")


@method_decorator([login_not_required, csrf_exempt], name="dispatch")
class UnsubscribeView(View):
    """The signed link in a digest's footer: confirm, then turn that kind of reminder off.

    Exempt from CSRF and login because the signature is the authority; mail clients post
    to it for one-click unsubscribing (RFC 8058).
    """

    template_name = "commitments/unsubscribe.html"

    def dispatch(self, request, token: str):
        self.subscription = read_unsubscribe_token(token)
        if self.subscription is None:
            return render(request, self.template_name, {"invalid": True}, status=400)
        return super().dispatch(request, token)

    def get(self, request, token: str):
        return render(request, self.template_name, {"reason": self.reason_label(), "token": token})

    def post(self, request, token: str):
        user_id, reason = self.subscription
        preference, _ = NotificationPreference.objects.get_or_create(user_id=user_id)
        setattr(preference, reason, False)
        preference.save()
        return render(request, self.template_name, {"reason": self.reason_label(), "done": True})

    def reason_label(self) -> str:
        return NotificationPreference._meta.get_field(self.subscription[1]).verbose_name


def spreadsheet(extension: str, columns, values: list[list], title: str, author: str, name: str) -> HttpResponse:
    """A download of these rows as XLSX or CSV (exports.py), named `name`: the list's, the meetings', a sample."""
    if extension == "xlsx":
        response = HttpResponse(exports.xlsx_file(columns, values, title, author), content_type=XLSX)
    else:
        headings = [heading for heading, _ in columns]
        response = HttpResponse(exports.csv_file(headings, values), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = exports.attachment(name)
    return response


def refused_filter(filterset) -> HttpResponse:
    """An export asked with a filter its list refuses (the list offers no export then): why, as text."""
    return HttpResponse(
        f"Invalid filter: {filterset.errors.as_text()}", status=400, content_type="text/plain; charset=utf-8"
    )


class CommitmentExportView(View):
    """The filtered list as CSV or XLSX, with the filter echoed in the file name."""

    def get(self, request, extension: str):
        filterset, commitments = filtered_commitments(request)
        if not filterset.is_valid():
            return refused_filter(filterset)
        values = list(exports.rows(commitments, settings.SITE_URL))
        title, name = "Commitments", exports.filename(filterset, extension)
        response = spreadsheet(extension, exports.COLUMNS, values, title, person(request.user), name)
        security_event(request, "export", rows=len(values))
        return response


@method_decorator(login_not_required, name="dispatch")
class CalendarFeedView(View):
    """A user's private feed; the secret address is the authority, as calendar clients cannot log in."""

    def get(self, request, token: str):
        feed = get_object_or_404(CalendarFeed.objects.select_related("user"), token=token, user__is_active=True)
        response = HttpResponse(user_feed(feed.user), content_type="text/calendar; charset=utf-8")
        patch_cache_control(response, private=True, no_store=True)  # the owner's data, fetched without a login
        return response


class CalendarFeedRevokeView(PostOnlyMixin, View):
    form_page_name = "notification-settings"

    def post(self, request):
        feed, created = CalendarFeed.objects.get_or_create(user=request.user)
        if not created:
            feed.revoke()
        messages.success(request, "Your calendar has a new private address; the old one no longer works.")
        return redirect("notification-settings")


class ApiTokenView(PostOnlyMixin, View):
    """Create, replace or revoke the user's API token (the settings page's buttons)."""

    form_page_name = "notification-settings"

    def post(self, request):
        if request.POST.get("action") == "revoke":
            AuthToken.objects.filter(user=request.user).delete()
            security_event(request, "api token revoked")
            messages.success(request, "Your API token is revoked.")
            return redirect("notification-settings")
        form = ApiTokenForm(request.POST)
        if not form.is_valid():
            page = NotificationSettingsView()
            page.setup(request)
            page.object = page.get_object()
            context = page.get_context_data(form=NotificationPreferenceForm(instance=page.object), token_form=form)
            return page.render_to_response(context, status=INVALID_FORM_STATUS)
        days = form.cleaned_data["days"]
        AuthToken.objects.filter(user=request.user).delete()
        request.session[NEW_API_TOKEN] = AuthToken.objects.create(user=request.user, expiry=datetime.timedelta(days))[1]
        security_event(request, "api token created", days=days)
        messages.success(request, "Your new API token is below: copy it now, it is not shown again.")
        return redirect("notification-settings")


# --- The meeting pages, with the commitments agreed there ---------------------------------------------------


class MeetingListView(meeting_views.MeetingListView):
    """The meeting list, with the number of commitments each agreed (those the user may see)."""

    template_name = "commitments/meeting_list.html"

    def get_queryset(self):
        visible = Commitment.objects.visible_to(self.request.user)
        return super().get_queryset().annotate(commitment_count=Count("commitments", filter=Q(commitments__in=visible)))


class MeetingDetailView(meeting_views.MeetingDetailView):
    """A meeting's page, with the commitments agreed there by category (those the user may see), and its files."""

    template_name = "commitments/meeting_detail.html"
    attachment_form = None

    def get_queryset(self):
        agreed = (
            Commitment.objects.visible_to(self.request.user, group_roles(self.request.user))
            .select_related("category", "owner")
            .only(*AGREED_FIELDS)
            .order_by("category__order", "category__name", "pk")
        )
        return super().get_queryset().prefetch_related(Prefetch("commitments", queryset=agreed))

    def get_context_data(self, **kwargs):
        user, meeting = self.request.user, self.object
        return super().get_context_data(
            attachments=attachments.attached_to(meeting).listed(),
            deleted_files=attachments.deleted_from_meeting(meeting),
            can_attach=permissions.can_attach(user, meeting),
            can_remove_attachments=can_manage_group(user, meeting.group_id),
            attachment_form=self.attachment_form or AttachmentForm(target=meeting),
            **kwargs,
        )


class MeetingAttachView(PostOnlyMixin, MeetingDetailView):
    """Files attached to a meeting from its page (the agreed record, the agenda, the list of delegations): by
    the group's coordinators."""

    form_page_name = "meetings:detail"

    def post(self, request, pk: int):
        self.object = meeting = self.get_object()
        check(permissions.can_attach(request.user, meeting))
        self.attachment_form = form = AttachmentForm(request.POST, request.FILES, target=meeting)
        if form.is_valid():
            attach_and_say(request, meeting, form.cleaned_data["files"])
            return redirect(f"{meeting.get_absolute_url()}#attachments")
        attachments.log_refused(request, form.errors.as_data().get("files", []))
        return self.render_to_response(self.get_context_data(), status=INVALID_FORM_STATUS)


# --- Attachments ----------------------------------------------------------------------------------------------


class AttachmentDownloadView(View):
    """An attachment's bytes, for those who may see the meeting or commitment it belongs to; logged."""

    @method_decorator(csp_update(DOWNLOAD_POLICY))
    def get(self, request, pk: int):
        return attachments.download(request, get_visible_or_404(Attachment.objects.all(), request, pk=pk))


class AttachmentDeleteView(PostOnlyMixin, View):
    """A coordinator deletes an attachment: its bytes go, the history keeps who, when, its name and hash."""

    def get_object(self) -> Attachment:
        queryset = Attachment.objects.select_related("meeting", "commitment")
        return get_visible_or_404(queryset, self.request, pk=self.kwargs["pk"])

    def form_page(self) -> str:
        attachment = self.get_object()
        return (attachment.commitment or attachment.meeting).get_absolute_url()

    def post(self, request, pk: int):
        attachment = self.get_object()
        check(permissions.can_remove_attachment(request.user, attachment))
        place = attachment.commitment or attachment.meeting
        attachments.remove(request, attachment)
        messages.success(request, f"Deleted “{attachment.name}”.")
        return redirect(f"{place.get_absolute_url()}#attachments")


# --- The pre-session brief of a meeting ---------------------------------------------------------------------


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
        self.live = for_reader(live_brief(self.meeting), request.user, self.meeting.group_id, current=True)
        # The live brief is built afresh whenever a commitment changes (data_version): restricted as it is now.
        return restricted_as_now(self.frozen) if self.snapshot else self.live


class BriefView(BriefMixin, View):
    template_name = "commitments/brief.html"

    def get(self, request, pk: int):
        brief = self.get_brief(request, pk)
        return render(
            request,
            self.template_name,
            {
                "meeting": self.meeting,
                "brief": brief,
                "where_and_when": where_and_when(brief["meeting"]),
                "marking": marking(brief),
                "no_update": NO_UPDATE,
                "nothing_to_report": NOTHING_TO_REPORT,
                "chart": bars(
                    [(s["category"], Counter(line["status"] for line in s["lines"])) for s in brief["sections"]]
                ),
                "snapshot": self.snapshot,
                "latest_snapshot": self.latest_snapshot,
                "differences": compare(self.frozen, self.live) if self.frozen else [],
                "can_freeze": can_manage_group(request.user, self.meeting.group_id),
                "kept_files": SimpleLazyObject(lambda: files_still_kept(brief)),  # read when not cached
                "rendered_key": rendered_key(brief, self.meeting.pk, self.snapshot and self.snapshot.pk),
                "query": "?live=1" if request.GET.get("live") else "",
            },
        )


class BriefDownloadView(BriefMixin, View):
    """The brief as .docx, .pdf or .csv, named after the meeting."""

    def get(self, request, pk: int, extension: str):
        brief = self.get_brief(request, pk)
        name = f"brief-{self.meeting.group.slug}-{self.meeting.number}{'-frozen' if self.snapshot else ''}"
        paper = Paper.of(brief, request.user, self.snapshot)
        if extension == "docx":
            content, content_type = brief_docx(paper), DOCX
        elif extension == "pdf":
            content, content_type = brief_pdf(paper), "application/pdf"
        else:
            content, content_type = brief_csv(brief), "text/csv; charset=utf-8"
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = exports.attachment(f"{name}.{extension}")
        security_event(request, "brief download", meeting=self.meeting.pk, commitments=brief["total"])
        return response


class BriefFreezeView(PostOnlyMixin, View):
    form_page_name = "meetings:brief"

    def post(self, request, pk: int):
        meeting = get_meeting(request, pk)
        check(can_manage_group(request.user, meeting.group_id))
        BriefSnapshot.objects.create(meeting=meeting, data=build_brief(meeting), frozen_by=request.user)
        messages.success(request, "Brief frozen: this version is now what is shown and downloaded.")
        return redirect("meetings:brief", pk=meeting.pk)


# --- Handing an officer's commitments to a successor --------------------------------------------------------


class HandoverView(View):
    """Pick the group, the officer and the successor; see the officer's open commitments, all ticked; confirm.
    Two steps, so that a coordinator sees what moves before it moves."""

    template_name = "commitments/handover.html"

    def dispatch(self, request, *args, **kwargs):
        check(is_coordinator(request.user))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        chosen = HandoverForm(request.GET, user=request.user) if "successor" in request.GET else None
        form = chosen or HandoverForm(user=request.user, initial=self.initial(request))
        return self.render(request, form, status=INVALID_FORM_STATUS if chosen and not chosen.is_valid() else 200)

    def post(self, request):
        form = HandoverForm(request.POST, user=request.user)
        if not form.is_valid():
            return self.render(request, form, status=INVALID_FORM_STATUS)
        officer, successor = form.cleaned_data["officer"], form.cleaned_data["successor"]
        ticked = request.POST.getlist("commitments")
        malformed = [f"“{value}” names no commitment." for value in ticked if not value.isdigit()]
        if malformed:
            return self.render(request, form, status=INVALID_FORM_STATUS, refused=malformed)
        try:
            moved = handover.hand_over(**form.cleaned_data, commitment_ids=self.ticked(request), actor=request.user)
        except ValidationError as error:  # the form checked the officers: what is left is the commitments ticked
            return self.render(request, form, status=INVALID_FORM_STATUS, refused=error.messages)
        security_event(request, "handover", officer=officer.pk, successor=successor.pk, commitments=len(moved))
        messages.success(
            request,
            f"{len(moved)} commitment{'s' if len(moved) != 1 else ''} handed over from {person(officer)} to "
            f"{person(successor)}. Each of them will get one e-mail about it.",
        )
        return redirect(reverse("commitments:list") + f"?owner={successor.pk}")

    @staticmethod
    def ticked(request) -> list[int]:
        """The ids ticked (post() refuses a value that is no id)."""
        return [int(value) for value in request.POST.getlist("commitments") if value.isdigit()]

    @staticmethod
    def initial(request) -> dict:
        """From the admin's user page (?officer=) or a group's page (?group=)."""
        initial = {name: request.GET[name] for name in ("group", "officer") if request.GET.get(name, "").isdigit()}
        if "group" not in initial:
            group = handover.officers_group(request.user, initial.get("officer", 0))
            if group is not None:
                initial["group"] = group.pk
        return initial

    def render(self, request, form, status: int = 200, refused=()):
        chosen = form.is_bound and form.is_valid()
        commitments = (
            handover.open_commitments(form.cleaned_data["officer"], form.cleaned_data["group"]) if chosen else None
        )
        ticked = set(self.ticked(request)) if request.method == "POST" else None  # None: all, as first shown
        context = {"form": form, "chosen": chosen, "commitments": commitments, "refused": refused, "ticked": ticked}
        return render(request, self.template_name, context, status=status)


# --- Importing meetings and commitments from spreadsheets --------------------------------------------------


class ImportView(View):
    """Upload a spreadsheet of meetings or commitments; its preview follows (ImportPreviewView)."""

    template_name = "commitments/import.html"

    def dispatch(self, request, *args, **kwargs):
        check(is_coordinator(request.user))
        return super().dispatch(request, *args, **kwargs)

    def get(self, request):
        kind = request.GET.get("kind")
        form = ImportForm(initial={"kind": kind} if kind in ImportFile.Kind.values else None)
        return self.render(request, form)

    def post(self, request):
        form = ImportForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render(request, form, status=INVALID_FORM_STATUS)
        file = form.cleaned_data["file"]
        upload = importing.upload(file.read(), file.name, form.cleaned_data["kind"], request.user)
        return redirect("commitments:import-preview", pk=upload.pk)

    def render(self, request, form, status: int = 200):
        context = {
            "form": form,
            "month_first": settings.IMPORT_DATES_MONTH_FIRST,
            "max_rows": f"{settings.IMPORT_MAX_ROWS:,}",
        }
        return render(request, self.template_name, context, status=status)


class ImportPreviewView(View):
    """What importing the file would do, row by row; importing it, exactly as previewed."""

    template_name = "commitments/import_preview.html"
    rows_per_page = 200

    def dispatch(self, request, *args, **kwargs):
        check(is_coordinator(request.user))
        self.upload = get_object_or_404(ImportFile, pk=kwargs["pk"], uploaded_by=request.user)
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, pk: int):
        if self.upload.imported_at:
            return self.imported(request)
        return self.render(request, importing.preview(self.upload, request.user))

    def post(self, request, pk: int):
        if self.upload.imported_at:
            return self.imported(request, status=409)
        try:
            counts = importing.run(self.upload, request.user, request.POST.get("digest", ""))
        except importing.AlreadyImported:  # by a confirmation a moment before this one
            self.upload.refresh_from_db()
            return self.imported(request, status=409)
        except ValidationError as error:
            preview = importing.preview(self.upload, request.user)
            return self.render(request, preview, refused=error.messages, status=INVALID_FORM_STATUS)
        security_event(request, "import", kind=self.upload.kind, rows=sum(counts.values()))
        messages.success(request, f"Imported {self.upload.outcome}.")
        return redirect(self.list_url)

    @property
    def list_url(self) -> str:
        return reverse("meetings:list" if self.upload.kind == ImportFile.Kind.MEETINGS else "commitments:list")

    def imported(self, request, status: int = 200):
        """The page of a file already imported (the preview's address, again: back, or a second click)."""
        context = {"upload": self.upload, "list_url": self.list_url}
        return render(request, "commitments/import_done.html", context, status=status)

    def render(self, request, preview, refused=(), status: int = 200):
        state = request.GET.get("state", "")
        rows = [row for row in preview.rows if row.state == state] if state in importing.STATES else preview.rows
        page = Paginator(rows, self.rows_per_page).get_page(request.GET.get("page"))
        tabs = [(name, preview.counts[name]) for name in importing.STATES]
        context = {"preview": preview, "page_obj": page, "state": state, "tabs": tabs, "refused": refused}
        return render(request, self.template_name, context, status=status)


class ImportSampleView(View):
    """A file to start from: the heading row and two example rows, in the user's own working group."""

    def get(self, request, kind: str, extension: str):
        check(is_coordinator(request.user))
        columns, rows = importing.sample(kind, request.user)
        name = f"sample-{kind}.{extension}"
        return spreadsheet(extension, columns, rows, kind.capitalize(), person(request.user), name)


class MeetingExportView(View):
    """The filtered meeting list as CSV or XLSX, in the columns an import of meetings reads back."""

    def get(self, request, extension: str):
        filterset, meetings = meeting_views.filtered_meetings(request)
        if not filterset.is_valid():
            return refused_filter(filterset)
        values = list(exports.meeting_rows(meetings, settings.SITE_URL))
        name = f"meetings_{timezone.localdate().isoformat()}.{extension}"
        response = spreadsheet(extension, exports.MEETING_COLUMNS, values, "Meetings", person(request.user), name)
        security_event(request, "export", rows=len(values))
        return response

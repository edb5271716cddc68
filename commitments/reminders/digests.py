"""What a reminder e-mail says: one digest per recipient, its subject, sections and links.

A digest leads with the sessions it counts down to (with the day to post an update by), then the coordinators'
summaries and nudges, then the recipient's commitments: each once, by follow-up date, tagged with every reason
it is in the digest ("overdue since 2 Mar", "new: assigned to you", "before the 10th meeting"), then those handed
over to someone else. The subject names the most important news and counts only the commitments it speaks of.

Built from the templates commitments/jinja2/reminders/digest-subject.txt, -body.txt and -body.html; the subject
and the text part are plain text (nothing escaped), the HTML part is escaped. Restricted commitments, and every
commitment with REMINDER_EMAIL_DETAIL=references, are named by their reference alone.
"""

import datetime
import uuid
from dataclasses import dataclass, field
from email.mime.text import MIMEText
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db.models import Count, Exists, OuterRef
from django.template import engines
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from commitments.models import Category, Commitment, ProgressUpdate, Reminder
from config.display import counted, excerpt, person, plain_line
from config.mail import AutomaticMessage
from meetings.calendar import meeting_ics
from meetings.dates import days_from, spell_date
from meetings.models import Meeting, is_member

Reason = Reminder.Reason

# The order of a commitment's tags, and of the news a subject may lead with after a session.
TAG_ORDER = [Reason.OVERDUE, Reason.DUE_SOON, Reason.ASSIGNED, Reason.PRE_SESSION]
UNSUBSCRIBE_SALT = "commitments.unsubscribe"


def render_email(name: str, context: dict) -> tuple[str, str, str]:
    """Subject, plain text and HTML from the templates commitments/jinja2/reminders/<name>-subject.txt, -body.txt
    and -body.html (commitments/jinja_engine.py: the subject and the text are plain text, nothing escaped; the HTML
    is escaped)."""
    engine = engines["jinja2"]
    subject = plain_line(engine.get_template(f"reminders/{name}-subject.txt").render(context))
    text = engine.get_template(f"reminders/{name}-body.txt").render(context)
    html = engine.get_template(f"reminders/{name}-body.html").render({**context, "subject": subject})
    return subject, text, html


def absolute(path: str) -> str:
    return settings.SITE_URL + path


def shows_details(commitment: Commitment) -> bool:
    """Whether an e-mail may quote the commitment's title and journal.

    Never for a restricted commitment; for none when REMINDER_EMAIL_DETAIL is "references".
    """
    return settings.REMINDER_EMAIL_DETAIL == "titles" and not commitment.restricted


def email_label(commitment: Commitment) -> str:
    """The commitment's title, or "Commitment C-12" where the e-mail may not quote it."""
    return commitment.outside_label(titles=settings.REMINDER_EMAIL_DETAIL == "titles")


# --- Unsubscribing ------------------------------------------------------------------------------


def unsubscribe_token(user_id: int, reason: str) -> str:
    return signing.dumps({"user": user_id, "reason": reason}, salt=UNSUBSCRIBE_SALT)


def read_unsubscribe_token(token: str) -> tuple[int, str] | None:
    try:
        data = signing.loads(token, salt=UNSUBSCRIBE_SALT)
    except signing.BadSignature:
        return None
    if data.get("reason") not in (Reason.DUE_SOON, Reason.OVERDUE):
        return None
    return data["user"], data["reason"]


# --- Digests ------------------------------------------------------------------------------------------


@dataclass
class Line:
    """A commitment as a digest shows it, formatted once for both the text and the HTML part."""

    commitment: Commitment
    label: str
    status: str
    follow_up: str
    overdue: bool
    url: str
    progress_url: str
    last_update_date: str  # empty when there is none yet
    last_update_text: str  # empty when the e-mail may not quote it
    reasons: dict[str, Reminder] = field(default_factory=dict)  # why it is in the digest, in TAG_ORDER
    tags: list[tuple[str, str]] = field(default_factory=list)  # (reason, "overdue since 2 Mar")
    new_owner: str = ""  # for a commitment handed over: who has it now, where the e-mail may say
    group: str = ""  # its working group, named when the digest speaks of more than one

    @classmethod
    def of(cls, commitment: Commitment, last_update, today: datetime.date, address) -> "Line":
        """`last_update`: its newest progress (ProgressUpdateQuerySet.latest_per_commitment), if any; `address`:
        Commitment.addresses(), looked up once for the digest."""
        url = address(commitment.pk)
        details = last_update is not None and shows_details(commitment)
        return cls(
            commitment=commitment,
            label=email_label(commitment),
            status=Commitment.Status(commitment.status).label,  # get_status_display() hashes the choices each time
            follow_up=spell_date(commitment.follow_up_date) if commitment.follow_up_date else "",
            overdue=commitment.is_overdue(today),
            url=url,
            progress_url=url + "#journal",
            last_update_date=spell_date(timezone.localdate(last_update.created_at)) if last_update else "",
            last_update_text=plain_line(excerpt(last_update.text, 40)) if details else "",
        )

    @property
    def overdue_untagged(self) -> bool:
        """Overdue, though not in the digest for that: the follow-up date says so instead of a tag."""
        return self.overdue and Reason.OVERDUE not in self.reasons

    def tag(self, row: Reminder, today: datetime.date) -> None:
        if row.reason in self.reasons:
            return
        self.reasons[row.reason] = row
        self.tags.append((row.reason, tag_text(row, today)))


def short_date(day: datetime.date, today: datetime.date) -> str:
    """ "2 Mar", with the year when it is not this year's: "19 Nov 2026"."""
    return date_format(day, "j M" if day.year == today.year else "j M Y")


def tag_text(row: Reminder, today: datetime.date) -> str:
    if row.reason == Reason.OVERDUE:
        return f"overdue since {short_date(row.anchor_date, today)}"
    if row.reason == Reason.DUE_SOON:
        return f"due {days_from(today, max(row.anchor_date, today))}"
    if row.reason == Reason.ASSIGNED:
        return "new: assigned to you"
    return f"before the {row.meeting.title}"


@dataclass
class SessionLead:
    """A session the digest counts down to, at its head: where and when, and the day to post an update by."""

    meeting: Meeting
    heading: str
    count: int  # the recipient's commitments reminded before it
    updates_by: str  # the day to post an update by; empty once it has come (then: today)
    calendar_file: str


@dataclass
class Section:
    """A coordinators' summary before a session, or a nudge to agree a session's date."""

    reason: str
    heading: str
    meeting: Meeting
    summary: dict
    calendar_file: str = ""  # named here when no session lead of the digest names it


def session_heading(meeting: Meeting, today: datetime.date) -> str:
    """ "the 10th meeting — New Delhi, 12 March 2027, in 7 days"."""
    return f"the {meeting.title} — {meeting.place}, {meeting.dates_display}, {meeting.countdown(today)}"


def updates_by(meeting: Meeting, today: datetime.date) -> str:
    """The day owners are asked to post their updates by, spelled; empty once it has come (they are asked for
    today), the same for owners and coordinators."""
    due = meeting.updates_due
    return spell_date(due) if due and due > today else ""


def calendar_file(meeting: Meeting) -> str:
    return f"meeting-{meeting.number}.ics"


LISTED_MOST = 50  # commitments listed in one message, of each list; the rest are counted and linked


@dataclass
class Listed:
    """A list in a coordinators' summary: its first LISTED_MOST, and how many there are in all."""

    items: list
    total: int

    @classmethod
    def of(cls, queryset) -> "Listed":
        return cls(list(queryset[:LISTED_MOST]), queryset.count())

    @property
    def more(self) -> int:
        return self.total - len(self.items)


def session_summary(meeting: Meeting, today: datetime.date, recipient_id: int) -> dict:
    """For coordinators before a session: where the group stands, whom to chase, and the follow-up dates
    owners moved since this coordinator's previous summary (or since the previous meeting)."""
    commitments = Commitment.objects.of_group(meeting.group).select_related("owner", "category")
    previous = (
        Meeting.objects.filter(group=meeting.group, status=Meeting.Status.HELD, start_date__lt=meeting.start_date)
        .order_by("-start_date")
        .first()
    )
    since = previous.start_date if previous else None
    by_status = dict(commitments.order_by().values_list("status").annotate(n=Count("pk")))
    by_category = dict(commitments.order_by().values_list("category").annotate(n=Count("pk")))
    open_ones = commitments.open()
    no_news = open_ones
    if since:
        news = ProgressUpdate.objects.progress().filter(commitment=OuterRef("pk"), created_at__date__gte=since)
        no_news = open_ones.exclude(Exists(news))
    owner_left = open_ones.filter(owner__isnull=False).exclude(is_member(OuterRef("owner"), meeting.group_id))
    previous_summary = (
        Reminder.objects.filter(
            recipient_id=recipient_id,
            reason=Reason.SESSION_SUMMARY,
            meeting__group=meeting.group,
            sent_at__isnull=False,
        )
        .order_by("-sent_at")
        .values_list("sent_at", flat=True)
        .first()
    )
    moves = ProgressUpdate.objects.filter(commitment__in=commitments, moved_from__isnull=False)
    if previous_summary or since:
        moves = moves.filter(created_at__gte=previous_summary or _start_of(since))
    return {
        "brief_url": absolute(reverse("meetings:brief", args=[meeting.pk])),
        "updates_by": updates_by(meeting, today),
        "by_status": [(label, by_status.get(value, 0)) for value, label in Commitment.Status.choices],
        "by_category": [(c.name, by_category[c.pk]) for c in Category.objects.all() if c.pk in by_category],
        "overdue": Listed.of(open_ones.overdue(today)),
        "without_owner": Listed.of(open_ones.without_owner()),
        "owner_not_in_group": Listed.of(owner_left),
        "no_update_since": since,
        "no_update": Listed.of(no_news.distinct()),
        "open_count": open_ones.count(),
        "moved": Listed(
            [
                (move, plain_line(move.text) if shows_details(move.commitment) else "")
                for move in moves.select_related("commitment", "author").order_by("created_at", "pk")[:LISTED_MOST]
            ],
            moves.count(),
        ),
    }


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


@dataclass
class Digest:
    """What one recipient's digest says, before it is written out."""

    sessions: list[SessionLead]
    sections: list[Section]
    lines: list[Line]  # the recipient's commitments, each once, by follow-up date
    handed_over: list[Line]  # commitments no longer theirs

    @classmethod
    def of(cls, rows: list[Reminder], latest: dict, today: datetime.date) -> "Digest":
        lines: dict[int, Line] = {}
        handed_over: dict[int, Line] = {}
        sections: dict[tuple, Section] = {}
        address = Commitment.addresses()
        for row in sorted(rows, key=lambda row: TAG_ORDER.index(row.reason) if row.reason in TAG_ORDER else 0):
            if row.reason == Reason.HANDED_OVER:
                line = handed_over[row.commitment_id] = Line.of(row.commitment, None, today, address)
                line.new_owner = handed_to(row.commitment)
            elif row.commitment_id:
                if row.commitment_id not in lines:
                    lines[row.commitment_id] = Line.of(row.commitment, latest.get(row.commitment_id), today, address)
                lines[row.commitment_id].tag(row, today)
            elif (row.reason, row.meeting_id) not in sections:
                sections[row.reason, row.meeting_id] = group_section(row, today)
        for pk in out_of_reach(rows[0].recipient, [line.commitment for line in handed_over.values()]):
            handed_over[pk].url = ""  # named, not linked: the page would answer 404
        listed = [*lines.values(), *handed_over.values()]
        if len({line.commitment.meeting.group_id for line in listed}) > 1:  # which group's each one is
            for line in listed:
                line.group = str(line.commitment.meeting.group)
        own = sorted(lines.values(), key=by_follow_up_date)
        leads = session_leads(own, today)
        for section in sections.values():
            if section.reason == Reason.SESSION_SUMMARY and section.meeting not in [lead.meeting for lead in leads]:
                section.calendar_file = calendar_file(section.meeting)
        return cls(
            sessions=leads,
            sections=sorted(sections.values(), key=lambda s: (s.reason != Reason.SESSION_SUMMARY, s.heading)),
            lines=own,
            handed_over=sorted(handed_over.values(), key=by_follow_up_date),
        )

    @property
    def listed(self) -> list[Line]:
        """The recipient's commitments the message lists: the soonest LISTED_MOST (an import or a handover may
        give someone hundreds at once); the list page has them all."""
        return self.lines[:LISTED_MOST]

    @property
    def unlisted(self) -> int:
        return max(len(self.lines) - LISTED_MOST, 0)

    @property
    def handed_over_listed(self) -> list[Line]:
        return self.handed_over[:LISTED_MOST]

    @property
    def handed_over_unlisted(self) -> int:
        return max(len(self.handed_over) - LISTED_MOST, 0)

    def sessions_counted_down(self) -> list[Meeting]:
        """The sessions the digest counts down to, for owners or coordinators: their calendar files go with it."""
        meetings = [lead.meeting for lead in self.sessions]
        meetings += [s.meeting for s in self.sections if s.reason == Reason.SESSION_SUMMARY]
        return list({meeting.pk: meeting for meeting in meetings}.values())

    def headline(self, today: datetime.date) -> tuple[str, str]:
        """The group and the most important news, counting only the commitments it speaks of:
        ("India–Uzbekistan JWG-CT", "10th meeting in 7 days: summary and 5 of your commitments"). A session
        leads: the first the message opens with (the recipient's own), else the first summary's."""
        summaries = {s.meeting.pk: s for s in self.sections if s.reason == Reason.SESSION_SUMMARY}
        leads = {lead.meeting.pk: lead for lead in self.sessions}
        if summaries or leads:
            meeting = self.sessions[0].meeting if self.sessions else next(iter(summaries.values())).meeting
            news = ["summary"] if meeting.pk in summaries else []
            if meeting.pk in leads:
                news.append(f"{leads[meeting.pk].count} of your commitments")
            return str(meeting.group), f"{meeting.title} {meeting.countdown(today)}: {' and '.join(news)}"
        for reason in (Reason.OVERDUE, Reason.DUE_SOON, Reason.ASSIGNED):
            if rows := [line.reasons[reason] for line in self.lines if reason in line.reasons]:
                first = min(rows, key=lambda row: row.anchor_date)
                group = first.commitment.meeting.group
                same = [row for row in rows if row.commitment.meeting.group == group]
                if reason == Reason.OVERDUE:
                    return str(group), counted(len(same), "overdue commitment")
                if reason == Reason.DUE_SOON:
                    n = sum(row.anchor_date == first.anchor_date for row in same)
                    when = days_from(today, max(first.anchor_date, today))
                    return str(group), f"{counted(n, 'commitment')} due {when}"
                return str(group), f"{counted(len(same), 'commitment')} assigned to you"
        if self.sections:
            meeting = self.sections[0].meeting
            return str(meeting.group), f"{meeting.title}: date still to be agreed"
        group = self.handed_over[0].commitment.meeting.group
        same = [line for line in self.handed_over if line.commitment.meeting.group == group]
        return str(group), f"{counted(len(same), 'commitment')} handed over to someone else"


def by_follow_up_date(line: Line) -> tuple:
    """Soonest follow-up date first, commitments without one last."""
    day = line.commitment.follow_up_date
    return (day is None, day or datetime.date.min, line.label)


def out_of_reach(recipient, commitments: list[Commitment]) -> set[int]:
    """The restricted commitments among these that the recipient may no longer open (handed over to someone else):
    one query, and none when none is restricted."""
    restricted = {commitment.pk for commitment in commitments if commitment.restricted}
    if not restricted:
        return set()
    return restricted - set(
        Commitment.objects.visible_to(recipient).filter(pk__in=restricted).values_list("pk", flat=True)
    )


def handed_to(commitment: Commitment) -> str:
    """Who has a commitment now, for its previous owner; nothing where the e-mail may not quote it."""
    if not shows_details(commitment):
        return ""
    return person(commitment.owner, nobody="no one yet")


def session_leads(lines: list[Line], today: datetime.date) -> list[SessionLead]:
    """The sessions the recipient's commitments are reminded before, soonest first."""
    counts: dict[int, int] = {}
    meetings: dict[int, Meeting] = {}
    for line in lines:
        if row := line.reasons.get(Reason.PRE_SESSION):
            meetings[row.meeting_id] = row.meeting
            counts[row.meeting_id] = counts.get(row.meeting_id, 0) + 1
    leads = []
    for meeting in sorted(meetings.values(), key=lambda meeting: meeting.start_date):
        leads.append(
            SessionLead(
                meeting=meeting,
                heading=(
                    f"The {meeting.title} of the {meeting.group}: {meeting.place}, {meeting.dates_display}, "
                    f"{meeting.countdown(today)}."
                ),
                count=counts[meeting.pk],
                updates_by=updates_by(meeting, today),
                calendar_file=calendar_file(meeting),
            )
        )
    return leads


def group_section(row: Reminder, today: datetime.date) -> Section:
    meeting = row.meeting
    if row.reason == Reason.SESSION_SUMMARY:
        return Section(
            row.reason,
            f"Where {meeting.group} stands before " + session_heading(meeting, today),
            meeting,
            session_summary(meeting, today, row.recipient_id),
        )
    return Section(
        row.reason,
        f"The {meeting.title} in {meeting.host_country.name}: date still to be agreed",
        meeting,
        {"open_count": Commitment.objects.of_group(meeting.group).open().count()},
    )


def message_id_around(token: uuid.UUID) -> tuple[str, str]:
    """What comes before and after the recipient id in the Message-ID of a batch's digests."""
    return f"<reminder.{token.hex}.", f"@{urlsplit(settings.SITE_URL).hostname}>"


def digest_message_id(token: uuid.UUID, recipient_id: int) -> str:
    """<reminder.{batch token}.{recipient id}@{site host}>: unique, and rebuilt by the database when
    one UPDATE records a whole batch (_record_sent)."""
    before, after = message_id_around(token)
    return f"{before}{recipient_id}{after}"


def calendar_part(filename: str, ics: bytes) -> MIMEText:
    """An .ics attachment as calendar clients expect it: text/calendar; method=PUBLISH (RFC 6047)."""
    part = MIMEText(ics.decode(), "calendar", "utf-8")
    part.set_param("method", "PUBLISH")
    part.add_header("Content-Disposition", "attachment", filename=filename)
    return part


def build_digest(
    recipient, rows: list[Reminder], latest: dict, today: datetime.date, message_id: str
) -> EmailMultiAlternatives:
    digest = Digest.of(rows, latest, today)
    group, headline = digest.headline(today)
    optional = sorted({row.reason for row in rows} & {Reason.DUE_SOON, Reason.OVERDUE})
    unsubscribe_links = {
        reason: absolute(reverse("notifications-unsubscribe", args=[unsubscribe_token(recipient.pk, reason)]))
        for reason in optional
    }
    context = {
        "recipient": recipient,
        "group": group,
        "headline": headline,
        "digest": digest,
        "settings_url": absolute(reverse("notification-settings")),
        "mine_url": absolute(reverse("commitments:list") + "?owner=mine"),
        "unsubscribe_links": unsubscribe_links,
        "site_url": settings.SITE_URL,
    }
    subject, text, html = render_email("digest", context)
    message = AutomaticMessage(subject, text, to=[recipient.email])
    message.attach_alternative(html, "text/html")
    message.extra_headers["Message-ID"] = message_id
    if unsubscribe_links:
        message.extra_headers["List-Unsubscribe"] = ", ".join(f"<{url}>" for url in unsubscribe_links.values())
        message.extra_headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    for meeting in digest.sessions_counted_down():
        message.attach(calendar_part(calendar_file(meeting), meeting_ics(meeting)))
    return message

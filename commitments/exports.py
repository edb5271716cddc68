"""A filtered commitment list as CSV or XLSX: the same rows the list page shows the user."""

import csv
import io
import re

from django.utils import timezone

from config.display import person

COLUMNS = [
    "Reference",
    "Commitment",
    "Working group",
    "Agreed at",
    "Category",
    "Owner",
    "Responsible side",
    "Lead agency",
    "Partner counterpart",
    "Agreed record",
    "Follow-up date",
    "Status",
    "Priority",
    "Overdue",
    "Restricted",
    "Link",
]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe(value) -> str:
    """Text a spreadsheet will not run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def rows(commitments, site_url: str):
    today = timezone.localdate()
    for c in commitments:
        yield [
            c.reference,
            c.title,
            c.meeting.group.short_name,
            c.meeting.title,
            c.category.name,
            person(c.owner, nobody=""),
            c.get_responsible_side_display(),
            c.lead_agency,
            c.partner_counterpart,
            c.record_paragraph,
            c.follow_up_date.isoformat() if c.follow_up_date else "",
            c.get_status_display(),
            c.get_priority_display(),
            "yes" if c.is_overdue(today) else "",
            "yes" if c.restricted else "",
            site_url + c.get_absolute_url(),
        ]


def export_csv(commitments, site_url: str) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for row in rows(commitments, site_url):
        writer.writerow([safe(value) for value in row])
    return out.getvalue()


def export_xlsx(commitments, site_url: str) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Commitments")
    sheet.append(COLUMNS)
    for row in rows(commitments, site_url):
        sheet.append([safe(value) if isinstance(value, str) else value for value in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def filename(query, extension: str) -> str:
    """ "commitments_owner-mine_overdue-true_2026-11-28.csv": the filter, echoed."""
    parts = ["commitments"]
    for key in sorted(query):
        if key == "page":
            continue
        for value in query.getlist(key):
            if value:
                parts.append(re.sub(r"[^A-Za-z0-9]+", "-", f"{key}-{value}").strip("-")[:40])
    parts.append(timezone.localdate().isoformat())
    return "_".join(parts) + "." + extension

"""Importing meetings and commitments from the spreadsheets in use today, as a coordinator does it: upload the
file on the import page, read the preview, import. Files are built as people make them (openpyxl, the csv
module, LibreOffice for a workbook with saved formula values) and read back by the app."""

import csv
import datetime
import io

import pytest
from django.urls import reverse
from openpyxl import Workbook

from commitments import importing
from commitments.models import Commitment, ImportFile, Reminder
from config.display import person
from meetings.models import Meeting
from tests.factories import CommitmentFactory
from tests.readers import csv_rows, xlsx_rows

pytestmark = pytest.mark.django_db

HEADINGS = ["Commitment", "Working group", "Agreed at", "Category", "Owner", "Follow-up date", "Status"]


def csv_bytes(rows, encoding="utf-8", delimiter=",") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def upload(client, data: bytes, name: str = "commitments.csv", kind: str = "commitments"):
    """Upload on the import page; the preview page it leads to."""
    response = client.post(reverse("commitments:import"), {"kind": kind, "file": _file(data, name)})
    assert response.status_code == 302, response.content.decode()[:2000]
    return client.get(response["Location"])


def _file(data: bytes, name: str):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, data)


def confirm(client, preview):
    """Import what the preview showed."""
    return client.post(preview.wsgi_request.path, {"digest": preview.context["preview"].digest})


def states(preview) -> list[str]:
    return [row.state for row in preview.context["preview"].rows]


def refusals(preview) -> list[tuple[int, str, str]]:
    return [
        (row.number, heading, message) for row in preview.context["preview"].rows for heading, message in row.refusals
    ]


def test_a_file_of_new_commitments_is_previewed_then_imported_with_a_history_naming_the_file(
    login, coordinator, owner, meeting, group
):
    client = login(coordinator)
    data = csv_bytes(
        [
            HEADINGS,
            ["Exchange threat assessments", group.short_name, "9th meeting", "Information sharing", owner.email,
             "01/10/2026", "Open"],
            ["Joint training course", group.short_name, "9", "joint training", "owner", "2026-12-01", "in progress"],
        ]
    )  # fmt: skip
    preview = upload(client, data, "JWG-CT action points.csv")
    assert preview.status_code == 200
    assert states(preview) == ["new", "new"]
    assert Commitment.objects.count() == 0  # nothing saved by the preview

    response = confirm(client, preview)
    assert response.status_code == 302
    first, second = Commitment.objects.order_by("pk")
    assert (first.title, first.meeting, first.owner, first.follow_up_date, first.status) == (
        "Exchange threat assessments", meeting, owner, datetime.date(2026, 10, 1), "open",
    )  # fmt: skip
    assert (second.category.slug, second.status, second.owner) == ("joint-training", "in_progress", owner)
    record = first.history.get()
    assert (record.history_user, record.history_change_reason) == (
        coordinator,
        "Imported from JWG-CT action points.csv",
    )
    assert bytes(ImportFile.objects.get().data) == b""  # the content is not kept once imported


def test_every_value_form_of_real_spreadsheets_is_read(login, coordinator, owner, owner2, meeting, group):
    """Dates as Excel dates, ISO, day first and spelled; choices by label or value in any case; owners by e-mail,
    username or name; meetings by number in words; spaces around trimmed; headings in any case and order."""
    owner2.first_name, owner2.last_name = "Priya", "Nair"
    owner2.save()
    rows = [
        ["  status ", "COMMITMENT", "working group", "agreed at", "category", "owner", "follow-up date", "Priority"],
        ["DONE", " Share lists of designated persons ", f" {group.short_name} ", "9th meeting", "INFORMATION SHARING",
         f" {owner.email.upper()} ", datetime.datetime(2026, 12, 15), "high"],
        ["In progress", "Exchange of experts", group.name, "Meeting 9", "Joint training", "owner2", 46371, "Low"],
        ["open", "Study of radicalization drivers", group.short_name, 9, "Research", "priya nair", "15 December 2026",
         "NORMAL"],
        ["Dropped", "Coordinate at SCO-RATS", group.short_name, "9th", "Multilateral coordination", "", "15/12/2026",
         ""],
    ]  # fmt: skip
    preview = upload(login(coordinator), xlsx_bytes(rows), "action points.xlsx")
    assert refusals(preview) == []
    assert states(preview) == ["new"] * 4
    confirm(login(coordinator), preview)
    imported = {c.title: c for c in Commitment.objects.all()}
    assert set(imported) == {
        "Share lists of designated persons", "Exchange of experts", "Study of radicalization drivers",
        "Coordinate at SCO-RATS",
    }  # fmt: skip
    assert {c.follow_up_date for c in imported.values()} == {datetime.date(2026, 12, 15)}
    assert [imported[t].status for t in sorted(imported)] == ["dropped", "in_progress", "done", "open"]
    assert imported["Share lists of designated persons"].owner == owner
    assert imported["Exchange of experts"].owner == owner2 == imported["Study of radicalization drivers"].owner
    assert imported["Coordinate at SCO-RATS"].owner is None
    assert [imported[t].priority for t in sorted(imported)] == [2, 3, 1, 2]
    assert {c.meeting for c in imported.values()} == {meeting}


def test_dates_with_slashes_are_read_month_first_when_the_setting_says_so(login, coordinator, meeting, group, settings):
    settings.IMPORT_DATES_MONTH_FIRST = True
    rows = [[*HEADINGS[:4], "Follow-up date"], ["Item", group.short_name, "9", "Research", "12/01/2026"]]
    confirm(login(coordinator), upload(login(coordinator), csv_bytes(rows)))
    assert Commitment.objects.get().follow_up_date == datetime.date(2026, 12, 1)


def test_an_export_re_imports_unchanged_and_a_second_import_changes_nothing(demo, client, on_the_demo_day):
    """The round trip: the list's CSV and Excel exports, as downloaded, import as they are; no record is added."""
    users, _ = demo
    client.force_login(users["coordinator"])
    records = Commitment.history.count()
    for extension in ("csv", "xlsx"):
        exported = client.get(reverse("commitments:export", args=[extension])).content
        preview = upload(client, exported, f"export.{extension}")
        assert refusals(preview) == []
        assert set(states(preview)) == {"unchanged"}
        assert len(states(preview)) == len(xlsx_rows(exported)) - 1 if extension == "xlsx" else len(csv_rows(exported))
        assert len(states(preview)) > 5
        assert preview.context["preview"].computed == ["Overdue", "Latest update", "Latest update date", "Link"]
        assert confirm(client, preview).status_code == 302
    assert Commitment.history.count() == records


def test_a_changed_row_shows_what_would_change_and_the_import_changes_exactly_that(
    login, coordinator, owner, owner2, commitment, group
):
    rows = [
        ["Reference", "Commitment", "Working group", "Agreed at", "Category", "Owner", "Status"],
        [commitment.reference, commitment.title, group.short_name, "9", "Information sharing", "owner2", "Done"],
    ]
    client = login(coordinator)
    preview = upload(client, csv_bytes(rows))
    [row] = preview.context["preview"].rows
    assert row.state == "changed"
    assert row.changes == [("Owner", person(owner), person(owner2)), ("Status", "Open", "Done")]
    html = preview.content.decode()
    assert "<del>Open</del> → <ins>Done</ins>" in html
    confirm(client, preview)
    commitment.refresh_from_db()
    assert (commitment.owner, commitment.status, commitment.version) == (owner2, "done", 2)
    assert commitment.closed_at is not None
    last = commitment.history.first()
    assert (last.history_user, last.history_change_reason) == (coordinator, "Imported from commitments.csv")
    # The same file again: nothing to do.
    assert states(upload(client, csv_bytes(rows))) == ["unchanged"]


def test_rows_without_a_reference_match_by_meeting_paragraph_and_title(login, coordinator, meeting, group):
    existing = CommitmentFactory(meeting=meeting, title="Share lists", record_paragraph="para 4")
    rows = [
        ["Commitment", "Working group", "Agreed at", "Category", "Agreed record", "Lead agency"],
        ["share  LISTS", group.short_name, "9", "Information sharing", "Para 4", "Intelligence Bureau"],
        ["Share lists", group.short_name, "9", "Information sharing", "para 5", ""],
    ]
    preview = upload(login(coordinator), csv_bytes(rows))
    assert states(preview) == ["changed", "new"]
    assert preview.context["preview"].rows[0].label == existing.reference


def test_a_file_with_one_bad_row_saves_nothing_and_says_which_row_and_column(login, coordinator, owner, meeting, group):
    rows = [
        HEADINGS,
        ["Good row", group.short_name, "9", "Research", "owner", "2026-12-01", "Open"],
        ["Bad owner", group.short_name, "9", "Research", "nobody@example.org", "2026-12-01", "Open"],
        ["Bad date", group.short_name, "9", "Research", "owner", "31/02/2026", "Open"],
        ["Bad status", group.short_name, "9", "Research", "", "", "Finished"],
        ["No meeting", group.short_name, "12", "Research", "", "", ""],
        ["", group.short_name, "9", "Nonsense", "", "", ""],
    ]
    client = login(coordinator)
    before = (Commitment.objects.count(), Commitment.history.count())
    preview = upload(client, csv_bytes(rows))
    assert states(preview) == ["new", "refused", "refused", "refused", "refused", "refused"]
    found = refusals(preview)
    assert (3, "Owner") in [(n, h) for n, h, _ in found]
    assert (4, "Follow-up date", "31/02/2026 is not a date (read as day/month/year).") in found
    assert (5, "Status") in [(n, h) for n, h, _ in found]
    assert (6, "Agreed at", f"The {group.short_name} has no 12th meeting: import it first.") in found
    assert {(7, "Commitment"), (7, "Category")} <= {(n, h) for n, h, _ in found}
    html = preview.content.decode()
    assert "No member of the" in html and "Import:" not in html  # no import button
    response = confirm(client, preview)  # posted anyway
    assert response.status_code == 422
    assert (Commitment.objects.count(), Commitment.history.count()) == before


def test_a_stale_preview_is_refused_and_imports_nothing(login, coordinator, owner, commitment, group):
    rows = [
        ["Reference", "Commitment", "Working group", "Agreed at", "Category", "Status"],
        [commitment.reference, commitment.title, group.short_name, "9", "Information sharing", "Done"],
    ]
    client = login(coordinator)
    preview = upload(client, csv_bytes(rows))
    commitment.title = "Retitled by a colleague meanwhile"
    commitment.save_versioned(commitment.version, user=owner)
    response = confirm(client, preview)
    assert response.status_code == 422
    assert "no longer do what the preview showed" in response.content.decode()
    commitment.refresh_from_db()
    assert (commitment.status, commitment.version) == ("open", 2)
    # A digest that names nothing previewed is as stale.
    assert client.post(preview.wsgi_request.path, {"digest": "0" * 64}).status_code == 422


def test_a_file_changed_after_its_upload_is_refused(login, coordinator, meeting, group):
    rows = [HEADINGS[:4], ["Item", group.short_name, "9", "Research"]]
    client = login(coordinator)
    preview = upload(client, csv_bytes(rows))
    ImportFile.objects.update(data=csv_bytes([HEADINGS[:4], ["Other item", group.short_name, "9", "Research"]]))
    response = confirm(client, preview)
    assert response.status_code == 422
    assert "not the file uploaded" in response.content.decode()
    assert not Commitment.objects.exists()


def test_a_coordinator_of_another_group_has_rows_for_ours_refused(
    login, other_coordinator, coordinator, commitment, group
):
    rows = [
        ["Reference", "Commitment", "Working group", "Agreed at", "Category", "Status"],
        ["", "New item", group.short_name, "9", "Research", "Open"],
        [commitment.reference, commitment.title, "", "9", "Research", "Done"],
    ]
    preview = upload(login(other_coordinator), csv_bytes(rows))
    assert states(preview) == ["refused", "refused"]
    messages = [message for _, _, message in refusals(preview)]
    assert f"{group.short_name} is not a working group you coordinate." in messages
    assert f"{commitment.reference} is no commitment of the groups you coordinate: leave it empty for a new one." in (
        messages
    )


def test_members_cannot_import_nor_see_a_coordinators_upload(login, coordinator, member, other_coordinator, group):
    preview = upload(login(coordinator), csv_bytes([HEADINGS[:4], ["Item", group.short_name, "9", "Research"]]))
    path = preview.wsgi_request.path
    assert login(member).get(reverse("commitments:import")).status_code == 403
    assert login(member).get(path).status_code == 403
    assert login(other_coordinator).get(path).status_code == 404
    assert login(other_coordinator).post(path, {"digest": preview.context["preview"].digest}).status_code == 404


def test_restricted_rows_import_with_their_grants_and_stay_invisible_to_others(
    login, coordinator, owner, member, granted, meeting, group
):
    rows = [
        [*HEADINGS[:5], "Restricted", "Access granted to"],
        ["Source protection arrangement", group.short_name, "9", "Information sharing", "owner", "yes",
         f"{granted.email}; member"],
        ["Open item", group.short_name, "9", "Information sharing", "owner", "", ""],
    ]  # fmt: skip
    confirm(login(coordinator), upload(login(coordinator), csv_bytes(rows)))
    restricted = Commitment.objects.get(title="Source protection arrangement")
    assert restricted.restricted
    assert set(restricted.access_granted_to.all()) == {granted, member}
    # Another import takes the member's access away again.
    rows[1][-1] = granted.email
    confirm(login(coordinator), upload(login(coordinator), csv_bytes(rows)))
    assert list(restricted.access_granted_to.all()) == [granted]
    outsider_view = [c.title for c in Commitment.objects.visible_to(member)]
    assert outsider_view == ["Open item"]
    assert login(member).get(restricted.get_absolute_url()).status_code == 404
    assert login(granted).get(restricted.get_absolute_url()).status_code == 200


def test_duplicate_rows_are_refused(login, coordinator, commitment, group):
    rows = [
        ["Reference", "Commitment", "Working group", "Agreed at", "Category"],
        ["", "Same new item", group.short_name, "9", "Research"],
        ["", "same new item", group.short_name, "9", "Research"],
        [commitment.reference, commitment.title, group.short_name, "9", "Information sharing"],
        [f"c{commitment.pk}", commitment.title, group.short_name, "9", "Information sharing"],
    ]
    found = refusals(upload(login(coordinator), csv_bytes(rows)))
    assert (3, "", "This commitment is also row 2: one row for each commitment.") in found
    assert (5, "", f"{commitment.reference} is also row 4: one row for each commitment.") in found


def test_unknown_columns_are_listed_and_missing_ones_refuse_the_file(login, coordinator, meeting, group):
    client = login(coordinator)
    preview = upload(client, csv_bytes([[*HEADINGS[:4], "Remarks"], ["Item", group.short_name, "9", "Research", "x"]]))
    assert preview.context["preview"].unknown == ["Remarks"]
    assert "Columns not read, as this app does not know them: “Remarks”" in preview.content.decode()
    assert states(preview) == ["new"]
    preview = upload(client, csv_bytes([["Commitment", "Category"], ["Item", "Research"]]))
    assert preview.context["preview"].problems == [
        "The file has no column Working group or Agreed at: the import needs it."
    ]


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"%PDF-1.7\n...", "record.pdf", "record.pdf is not a spreadsheet this app reads"),
        (b" \n\n", "empty.csv", "The file is empty."),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "old.xls", "Excel 97-2003 workbook (.xls)"),
        (b"PK\x03\x04not really a zip", "broken.xlsx", "not an Excel workbook that can be read"),
        ("Commitment,Working group\n".encode("utf-16"), "utf16.csv", "UTF-16"),
        ("Commitment\nМинистерство внутренних дел\n".encode("cp1251"), "cyrillic.csv", "another code page"),
        (b"Commitment,Working group,Agreed at,Category\n", "heading-only.csv", "no rows under it"),
    ],
)
def test_files_that_cannot_be_read_get_a_clear_answer(login, coordinator, data, name, message):
    preview = upload(login(coordinator), data, name)
    [problem] = preview.context["preview"].problems
    assert message in problem
    assert "cannot be imported" in preview.content.decode()


def test_an_empty_upload_is_refused_by_the_form(login, coordinator):
    response = login(coordinator).post(
        reverse("commitments:import"), {"kind": "commitments", "file": _file(b"", "a.csv")}
    )
    assert response.status_code == 422
    assert "The submitted file is empty." in response.content.decode()
    assert not ImportFile.objects.exists()


def test_a_file_longer_than_the_limit_is_refused(login, coordinator, group, settings):
    rows = [HEADINGS[:4]] + [[f"Item {n}", group.short_name, "9", "Research"] for n in range(50_001)]
    preview = upload(login(coordinator), csv_bytes(rows))
    assert preview.context["preview"].problems == [
        "The file has more than 50,000 rows, the most one import takes: split it into several files."
    ]


@pytest.mark.parametrize(
    ("encoding", "prefix"), [("utf-8", b""), ("utf-8", b"\xef\xbb\xbf"), ("cp1252", b"")], ids=["utf8", "bom", "cp1252"]
)
def test_csv_in_utf8_with_or_without_bom_and_windows_1252_is_read(login, coordinator, meeting, group, encoding, prefix):
    title = "Mirzo Ulug‘bek café – “joint” research"  # Windows-1252 has these quotes and dashes
    rows = [[*HEADINGS[:4], "Lead agency"], [title, group.short_name, "9", "Research", "Ministry of Home Affairs"]]
    data = prefix + csv_bytes(rows, encoding=encoding)
    confirm(login(coordinator), upload(login(coordinator), data))
    assert Commitment.objects.get().title == title


def test_semicolon_separated_csv_is_read(login, coordinator, meeting, group):
    rows = [HEADINGS[:4], ["Item, with a comma", group.short_name, "9", "Research"]]
    preview = upload(login(coordinator), csv_bytes(rows, delimiter=";"))
    assert states(preview) == ["new"]
    assert preview.context["preview"].rows[0].label == "Item, with a comma"


def test_formulas_are_read_as_the_values_the_spreadsheet_saved_never_evaluated(login, coordinator, meeting, group):
    from tests.office import convert

    rows = [
        [*HEADINGS[:4], "Follow-up date", "Description"],
        ["Item", group.short_name, "=3*3", "Research", "=DATE(2026,12,15)", '=CONCATENATE("Agreed ","in Tashkent")'],
    ]
    written = xlsx_bytes(rows)  # openpyxl saves formulas without values
    client = login(coordinator)
    found = refusals(upload(client, written, "formulas.xlsx"))
    assert (2, "Agreed at", "=3*3 is a formula saved without its value: save the file again.") in found
    calculated = convert(written, "xlsx", "xlsx")  # as a spreadsheet saves it: formula and value
    preview = upload(client, calculated, "formulas.xlsx")
    assert refusals(preview) == []
    confirm(client, preview)
    commitment = Commitment.objects.get()
    assert (commitment.meeting.number, commitment.follow_up_date) == (9, datetime.date(2026, 12, 15))
    assert commitment.description == "Agreed in Tashkent"


def test_text_a_csv_export_protected_from_spreadsheets_reads_back_as_typed(login, coordinator, meeting, group):
    rows = [HEADINGS[:4], ['\'=HYPERLINK("x")', group.short_name, "9", "Research"]]
    confirm(login(coordinator), upload(login(coordinator), csv_bytes(rows)))
    assert Commitment.objects.get().title == '=HYPERLINK("x")'


def test_meetings_import_and_their_export_round_trips(login, coordinator, group, meeting):
    rows = [
        ["Working group", "Meeting", "Host country", "City", "Start date", "End date", "Status", "Agreed record"],
        [group.short_name, "9th meeting", "Uzbekistan", "Tashkent", "2025-09-30", "2025-10-01", "Held",
         "Record of Discussions"],
        [group.short_name, "10th meeting", "IN", "New Delhi", "", "", "Planned — date to be agreed", ""],
        [group.short_name, "8", "Japan", "", "", "", "planned", ""],
        [group.short_name, "7", "India", "", "", "", "Held", ""],
    ]  # fmt: skip
    client = login(coordinator)
    preview = upload(client, csv_bytes(rows), "meetings.csv", kind="meetings")
    assert states(preview) == ["changed", "new", "refused", "refused"]
    found = refusals(preview)
    assert (4, "Host country") in [(n, h) for n, h, _ in found]
    assert (5, "Start date", "A held meeting needs a start date.") in found
    rows = rows[:3]
    preview = upload(client, csv_bytes(rows), "meetings.csv", kind="meetings")
    confirm(client, preview)
    tenth = Meeting.objects.get(group=group, number=10)
    assert (tenth.host_country.code, tenth.city, tenth.status) == ("IN", "New Delhi", "planned")
    meeting.refresh_from_db()
    assert meeting.record_reference == "Record of Discussions"
    assert tenth.history.get().history_change_reason == "Imported from meetings.csv"
    for extension in ("csv", "xlsx"):
        exported = client.get(reverse("meetings:export", args=[extension])).content
        preview = upload(client, exported, f"meetings.{extension}", kind="meetings")
        assert states(preview) == ["unchanged", "unchanged"], refusals(preview)


def test_the_sample_files_import_as_they_are(login, coordinator, meeting, group):
    client = login(coordinator)
    for extension in ("csv", "xlsx"):
        for kind in ("meetings", "commitments"):
            response = client.get(reverse("commitments:import-sample", args=[kind, extension]))
            assert response.status_code == 200
            preview = upload(client, response.content, f"sample.{extension}", kind=kind)
            assert refusals(preview) == [], (kind, extension)
            assert states(preview) == ["new", "new"]  # examples: nothing that exists changes


def test_the_import_page_is_linked_from_both_lists(login, coordinator, member):
    for name in ("meetings:list", "commitments:list"):
        assert reverse("commitments:import") in login(coordinator).get(reverse(name)).content.decode()
        assert reverse("commitments:import") not in login(member).get(reverse(name)).content.decode()


def test_the_admins_lists_of_meetings_and_commitments_offer_the_import(login, coordinator):
    client = login(coordinator)
    for model, kind in (("meetings_meeting", "meetings"), ("commitments_commitment", "commitments")):
        page = client.get(reverse(f"admin:{model}_changelist")).content.decode()
        assert f'href="{reverse("commitments:import")}?kind={kind}">Import from a spreadsheet</a>' in page


def test_owners_of_imported_open_commitments_are_told_as_for_any_assignment(
    login, coordinator, owner, owner2, meeting, group
):
    """Planned as owner changes are (one digest each, after the quiet period): none to the coordinator who imports
    their own; a closed commitment's recorded withdrawn, to go if it is reopened."""
    rows = [
        ["Commitment", "Working group", "Agreed at", "Category", "Owner", "Status"],
        ["Open one", group.short_name, "9", "Research", "owner", "Open"],
        ["Second open one", group.short_name, "9", "Research", "owner", "In progress"],
        ["Done one", group.short_name, "9", "Research", "owner2", "Done"],
        ["The coordinator's", group.short_name, "9", "Research", "coordinator", "Open"],
    ]
    confirm(login(coordinator), upload(login(coordinator), csv_bytes(rows)))
    planned = Reminder.objects.filter(state=Reminder.State.PENDING)
    assert sorted(planned.values_list("recipient__username", "reason", "commitment__title")) == [
        ("owner", "assigned", "Open one"),
        ("owner", "assigned", "Second open one"),
    ]
    withdrawn = Reminder.objects.exclude(state=Reminder.State.PENDING)
    assert list(withdrawn.values_list("recipient__username", "commitment__title", "state", "last_error")) == [
        ("owner2", "Done one", Reminder.State.SKIPPED, "withdrawn: the commitment is closed")
    ]


def test_the_preview_and_the_import_run_a_constant_number_of_queries_per_kind_of_row(
    login, coordinator, owner, owner2, granted, meeting, group
):
    """Names are looked up in memory: a preview of 30 changed rows runs the queries of one of 3."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def file_of(n: int) -> bytes:
        commitments = CommitmentFactory.create_batch(n, meeting=meeting, owner=owner, restricted=True)
        for commitment in commitments:
            commitment.access_granted_to.add(granted)
        headings = ["Reference", "Commitment", "Working group", "Agreed at", "Category", "Owner", "Access granted to"]
        return csv_bytes(
            [headings]
            + [[c.reference, c.title, group.short_name, "9", "Research", "owner2", "owner2"] for c in commitments]
        )

    client = login(coordinator)
    counts = []
    for n in (3, 30):
        response = client.post(
            reverse("commitments:import"), {"kind": "commitments", "file": _file(file_of(n), "a.csv")}
        )
        with CaptureQueriesContext(connection) as queries:
            preview = client.get(response["Location"])
        assert states(preview) == ["changed"] * n
        counts.append(len(queries))
    assert counts[0] == counts[1]


def test_uploads_left_unimported_for_a_day_are_deleted_hourly(coordinator, settings):
    """They may hold restricted commitments: the beat schedule runs the task that forgets them."""
    import time_machine

    from commitments.tasks import forget_stale_imports

    assert settings.CELERY_BEAT_SCHEDULE["forget-stale-imports"]["task"] == forget_stale_imports.name
    with time_machine.travel(datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC)):
        old = importing.upload(b"Commitment\nItem\n", "old.csv", "commitments", coordinator)
    with time_machine.travel(datetime.datetime(2026, 12, 2, 8, 0, tzinfo=datetime.UTC)):
        recent = importing.upload(b"Commitment\nItem\n", "recent.csv", "commitments", coordinator)
        assert forget_stale_imports() == 0
    with time_machine.travel(datetime.datetime(2026, 12, 2, 9, 30, tzinfo=datetime.UTC)):
        assert forget_stale_imports() == 1
    assert list(ImportFile.objects.all()) == [recent]
    assert old.name == "old.csv"


def test_a_column_left_out_leaves_its_values_as_they_are(login, coordinator, owner, meeting, group):
    """A file of a few columns changes only those: no Owner column keeps the owners, no Agreed record column
    matches by meeting and title alone."""
    existing = CommitmentFactory(meeting=meeting, owner=owner, title="Share lists", record_paragraph="para 4")
    rows = [["Commitment", "Working group", "Agreed at", "Category", "Status"], ["Share lists", group.short_name, "9",
            "Information sharing", "In progress"]]  # fmt: skip
    client = login(coordinator)
    preview = upload(client, csv_bytes(rows))
    [row] = preview.context["preview"].rows
    assert (row.label, row.state, row.changes) == (existing.reference, "changed", [("Status", "Open", "In progress")])
    confirm(client, preview)
    existing.refresh_from_db()
    assert (existing.owner, existing.status, existing.record_paragraph) == (owner, "in_progress", "para 4")


def test_a_row_that_matches_several_commitments_asks_for_the_reference(login, coordinator, meeting, group):
    first = CommitmentFactory(meeting=meeting, title="Share lists", record_paragraph="para 4")
    second = CommitmentFactory(meeting=meeting, title="Share lists", record_paragraph="para 9")
    rows = [
        ["Commitment", "Working group", "Agreed at", "Category"],
        ["Share lists", group.short_name, "9", "Research"],
    ]
    assert refusals(upload(login(coordinator), csv_bytes(rows))) == [
        (2, "", f"Several commitments match this row ({first.reference} and {second.reference}): give the Reference "
         "to say which.")
    ]  # fmt: skip


def _with_part(workbook: bytes, name: str, xml: bytes) -> bytes:
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            target.writestr(item, xml if item.filename == name else source.read(item))
    return out.getvalue()


LAUGHS = b'<!ENTITY a "lol"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">'
SHEET = (
    b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
    b'<row r="1"><c r="A1" t="inlineStr"><is><t>%s</t></is></c></row></sheetData></worksheet>'
)


@pytest.mark.parametrize(
    ("part", "doctype", "text"),
    [
        ("xl/worksheets/sheet1.xml", b'<!ENTITY xxe SYSTEM "file:///etc/passwd">', b"&xxe;"),
        ("xl/worksheets/sheet1.xml", LAUGHS, b"&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;"),
    ],
    ids=["external entity", "entity expansion"],
)
def test_a_workbook_with_xml_entities_is_refused_not_expanded(login, coordinator, part, doctype, text):
    """A workbook is XML inside a zip: one crafted to read files of the server or to expand to gigabytes gets a
    refusal, and nothing of what its entities name."""
    crafted = _with_part(
        xlsx_bytes([["Commitment"], ["Item"]]),
        part,
        b"<?xml version='1.0'?><!DOCTYPE x [" + doctype + b"]>" + SHEET % text,
    )
    preview = upload(login(coordinator), crafted, "crafted.xlsx")
    [problem] = preview.context["preview"].problems
    assert "not an Excel workbook that can be read" in problem
    assert "root:" not in preview.content.decode()


def test_a_workbook_that_unpacks_to_more_than_the_limit_is_refused_before_it_is_read(login, coordinator):
    """A zip bomb: a small upload whose parts unpack to hundreds of megabytes."""
    import zipfile

    out, workbook = io.BytesIO(), io.BytesIO(xlsx_bytes([["Commitment"], ["Item"]]))
    with zipfile.ZipFile(workbook) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, source.read(item))
        with target.open("xl/padding.xml", "w") as padding:
            for _ in range(301):
                padding.write(b" " * 1_000_000)
    assert len(out.getvalue()) < 2_000_000
    preview = upload(login(coordinator), out.getvalue(), "bomb.xlsx")
    assert preview.context["preview"].problems == [
        "The workbook unpacks to more than 300 MB, more than any spreadsheet of 50,000 rows: it is refused."
    ]


# --- As an outside tester found it ---------------------------------------------------------------------------


def test_an_open_commitment_whose_follow_up_date_has_passed_imports_with_a_warning(login, coordinator, meeting, group):
    """Records of the past load with their dates (a commitment still open since 2020 is overdue, and says so);
    the preview warns of each, so that a typo (2020 for 2027) is seen before it becomes an overdue reminder."""
    rows = [
        [*HEADINGS[:4], "Follow-up date", "Status"],
        ["Still open", group.short_name, "9", "Research", "2020-05-05", "Open"],
        ["Done long ago", group.short_name, "9", "Research", "2020-05-05", "Done"],
    ]
    preview = upload(login(coordinator), csv_bytes(rows))
    first, second = preview.context["preview"].rows
    assert (first.state, first.notes) == (
        "new",
        [("Follow-up date", "5 May 2020 has passed: the commitment will be overdue at once.")],
    )
    assert (second.state, second.notes) == ("new", [])
    assert "will be overdue at once" in preview.content.decode()


def test_meeting_dates_that_cannot_be_are_refused_as_in_the_form(login, coordinator, group, meeting):
    rows = [
        ["Working group", "Meeting", "Host country", "Start date", "Status"],
        [group.short_name, "13", "India", "2026-01-01", "Scheduled"],
        [group.short_name, "14", "India", "2028-01-01", "Held"],
        [group.short_name, "15", "India", "2025-01-01", "Held"],
    ]
    found = refusals(upload(login(coordinator), csv_bytes(rows), kind="meetings"))
    assert [(n, h) for n, h, _ in found] == [(2, "Start date"), (3, "Start date")]
    assert "for one that took place, choose Held" in found[0][2]


def test_access_cannot_be_granted_to_a_deactivated_member(login, coordinator, owner, granted, meeting, group):
    granted.is_active = False
    granted.save()
    rows = [[*HEADINGS[:4], "Restricted", "Access granted to"], ["Item", group.short_name, "9", "Research", "yes",
            f"owner; {granted.email}"]]  # fmt: skip
    assert refusals(upload(login(coordinator), csv_bytes(rows))) == [
        (2, "Access granted to", f"{person(granted)}'s account is deactivated: choose an active member.")
    ]


def test_the_commitments_page_says_which_file_an_imported_change_came_from(login, coordinator, commitment, group):
    rows = [["Reference", "Commitment", "Working group", "Agreed at", "Category", "Status"],
            [commitment.reference, commitment.title, group.short_name, "9", "Information sharing", "Done"]]  # fmt: skip
    client = login(coordinator)
    confirm(client, upload(client, csv_bytes(rows), "JWG-CT tracker 2025.csv"))
    page = client.get(commitment.get_absolute_url()).content.decode()
    assert "Imported from JWG-CT tracker 2025.csv" in page


def test_the_preview_shows_the_values_a_new_row_would_take(login, coordinator, owner, meeting, group):
    rows = [HEADINGS, ["Item", group.short_name, "9th meeting", "research", "owner", "01/09/2027", "in progress"]]
    [row] = upload(login(coordinator), csv_bytes(rows)).context["preview"].rows
    assert row.changes == [
        ("Commitment", "", "Item"),
        ("Agreed at", "", "9th meeting"),
        ("Category", "", "Research"),
        ("Owner", "", person(owner)),
        ("Follow-up date", "", "1 September 2027"),
        ("Status", "", "In progress"),
    ]


def test_an_imported_file_says_so_when_its_preview_is_opened_again(login, coordinator, meeting, group):
    client = login(coordinator)
    preview = upload(client, csv_bytes([HEADINGS[:4], ["Item", group.short_name, "9", "Research"]]))
    confirm(client, preview)
    again = client.get(preview.wsgi_request.path)
    assert again.status_code == 200
    assert "This file was imported" in again.content.decode()
    twice = confirm(client, preview)
    assert twice.status_code == 409
    assert Commitment.objects.count() == 1
    assert bytes(ImportFile.objects.get().data) == b""  # its content is not kept


def test_rows_of_spaces_are_blank_and_cells_beyond_the_headings_are_refused(login, coordinator, meeting, group):
    rows = [
        HEADINGS[:4],
        ["Item, with a comma", group.short_name, "9", "Research"],
        ["  ", " ", "", "  "],
        ["Item", " with an unquoted comma", group.short_name, "9", "Research"],
    ]
    preview = upload(login(coordinator), csv_bytes(rows))
    assert [row.number for row in preview.context["preview"].rows] == [2, 4]
    assert (4, "", "This row has values beyond the last named column (column E): is a comma unquoted?") in refusals(
        preview
    )


@pytest.mark.parametrize(
    "cell", ["1-Sep-27", "01/09/27", "2027/09/01", "2027-9-1", "1st September 2027", "Sept 1, 2027"]
)
def test_more_date_forms_of_real_spreadsheets_are_read(cell):
    from commitments.importing import values

    assert values.date(cell) == datetime.date(2027, 9, 1)


def test_names_typed_with_another_dash_find_the_group(login, coordinator, meeting, group):
    rows = [HEADINGS[:4], ["Item", "India-Uzbekistan JWG—CT", "9", "Research"]]
    assert states(upload(login(coordinator), csv_bytes(rows))) == ["new"]


def test_a_file_of_the_other_kind_or_with_another_separator_is_named(login, coordinator, meeting, group):
    client = login(coordinator)
    meetings = csv_bytes([["Working group", "Meeting", "Host country"], [group.short_name, "10", "India"]])
    [problem] = upload(client, meetings, "meetings.csv", kind="commitments").context["preview"].problems
    assert "It looks like a file of meetings: upload it as meetings." in problem
    tabs = csv_bytes([HEADINGS[:4], ["Item", group.short_name, "9", "Research"]], delimiter="\t")
    assert states(upload(client, tabs, "tabs.csv")) == ["new"]


def test_one_mistake_in_a_cell_is_one_message(login, coordinator, group):
    rows = [["Working group", "Meeting", "Host country"], [group.short_name, "eleventh", "India"]]
    assert len(refusals(upload(login(coordinator), csv_bytes(rows), kind="meetings"))) == 1


def test_nothing_to_import_offers_no_import_button(login, coordinator, commitment, group):
    rows = [["Reference", "Commitment", "Working group", "Agreed at", "Category"],
            [commitment.reference, commitment.title, group.short_name, "9", "Information sharing"]]  # fmt: skip
    page = upload(login(coordinator), csv_bytes(rows)).content.decode()
    assert "Nothing to import: every row is as it is already." in page
    assert "Import:" not in page


def test_a_superusers_sample_names_members_of_the_group(login, superuser, coordinator, meeting, group):
    client = login(superuser)
    response = client.get(reverse("commitments:import-sample", args=["commitments", "csv"]))
    assert refusals(upload(client, response.content, "sample.csv")) == []


def test_lifting_a_restriction_warns_that_the_group_will_read_it(login, coordinator, owner, meeting, group):
    restricted = CommitmentFactory(meeting=meeting, owner=owner, restricted=True)
    rows = [["Reference", "Commitment", "Working group", "Agreed at", "Category", "Restricted"],
            [restricted.reference, restricted.title, group.short_name, "9", "Information sharing", "no"]]  # fmt: skip
    [row] = upload(login(coordinator), csv_bytes(rows)).context["preview"].rows
    assert row.changes == [("Restricted", "yes", "no")]
    assert row.notes == [("Restricted", "Lifting the restriction opens it, its journal included, to the whole group.")]


@pytest.mark.parametrize("cell", ["0001-01-01", "9999-12-31", "1899-12-31", "2101-01-01"])
def test_a_date_of_an_implausible_year_is_refused(login, coordinator, meeting, group, cell):
    """A year such as 0001 or 9999 is a typo, and dates near the calendar's ends break the reminders' arithmetic."""
    rows = [[*HEADINGS[:4], "Follow-up date"], ["Item", group.short_name, "9", "Research", cell]]
    [(number, heading, message)] = refusals(upload(login(coordinator), csv_bytes(rows)))
    assert (number, heading) == (2, "Follow-up date")
    assert "between 1900 and 2100" in message


def test_the_forms_refuse_a_follow_up_date_of_an_implausible_year(login, coordinator, commitment):
    from django.forms.models import model_to_dict

    data = {**model_to_dict(commitment), "follow_up_date": "9999-12-31", "expected_version": commitment.version}
    data = {key: value for key, value in data.items() if value is not None and key != "access_granted_to"}
    response = login(coordinator).post(reverse("commitments:edit", args=[commitment.pk]), data)
    assert response.status_code == 422
    assert "between 1900 and 2100" in response.content.decode()


@pytest.mark.parametrize(
    ("part", "xml"),
    [
        ("xl/worksheets/sheet1.xml", b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
         b'<sheetData><row r="1"><c r="A1" t="s"><v>999</v></c></row></sheetData></worksheet>'),
        ("xl/worksheets/sheet1.xml", None),
    ],
    ids=["shared string missing", "sheet missing"],
)  # fmt: skip
def test_a_workbook_whose_parts_do_not_hold_together_is_refused(login, coordinator, part, xml):
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx_bytes([["Commitment"], ["Item"]]))) as source, zipfile.ZipFile(out, "w") as z:
        for item in source.infolist():
            if item.filename != part:
                z.writestr(item, source.read(item))
            elif xml is not None:
                z.writestr(item, xml)
    [problem] = upload(login(coordinator), out.getvalue(), "broken.xlsx").context["preview"].problems
    assert problem.startswith("The file is not an Excel workbook that can be read: save it")


def test_an_error_a_spreadsheet_shows_in_a_cell_is_refused_not_imported_as_text(login, coordinator, meeting, group):
    rows = [[*HEADINGS[:4], "Description"], ["#REF!", group.short_name, "9", "Research", "#N/A"]]
    found = refusals(upload(login(coordinator), csv_bytes(rows)))
    assert (2, "Commitment", "#REF! is an error the spreadsheet shows in this cell: correct it first.") in found
    assert (2, "Description", "#N/A is an error the spreadsheet shows in this cell: correct it first.") in found


def test_a_duplicate_column_is_named_without_a_hint_about_the_other_kind(login, coordinator, group):
    rows = [[*HEADINGS[:4], "Owner", "owner"], ["Item", group.short_name, "9", "Research", "", ""]]
    assert upload(login(coordinator), csv_bytes(rows)).context["preview"].problems == [
        "Two columns are Owner: keep one."
    ]


def test_the_meetings_export_reads_back_in_another_reader(login, member, group, meeting):
    """Read with calamine and the csv module, not the library that wrote it: typed dates, the export's headings."""
    client = login(member)
    xlsx = client.get(reverse("meetings:export", args=["xlsx"]))
    assert xlsx["Content-Disposition"].startswith('attachment; filename="meetings_')
    headings, row = xlsx_rows(xlsx.content)
    assert headings[:3] == ["Working group", "Meeting", "Host country"]
    assert row[:3] == [group.short_name, "9th meeting", "Uzbekistan"]
    assert row[headings.index("Start date")] == datetime.date(2025, 9, 30)
    [line] = csv_rows(client.get(reverse("meetings:export", args=["csv"])).content)
    assert (line["Meeting"], line["Start date"], line["Status"]) == ("9th meeting", "2025-09-30", "Held")


def test_a_refused_meetings_filter_exports_nothing_and_says_why(login, member, meeting):
    response = login(member).get(reverse("meetings:export", args=["csv"]) + "?year=1")
    assert response.status_code == 400
    assert response.content.decode().startswith("Invalid filter:")


def test_the_sample_files_read_back_in_another_reader(login, coordinator, meeting, group):
    client = login(coordinator)
    headings, *examples = xlsx_rows(
        client.get(reverse("commitments:import-sample", args=["commitments", "xlsx"])).content
    )
    assert headings[:4] == ["Reference", "Commitment", "Description", "Working group"]
    assert len(examples) == 2 and {row[3] for row in examples} == {group.short_name}
    lines = csv_rows(client.get(reverse("commitments:import-sample", args=["meetings", "csv"])).content)
    assert [line["Meeting"] for line in lines] == ["10th meeting", "11th meeting"]

"""What an owner and a coordinator do, in a real browser."""

import re
from pathlib import Path

from playwright.sync_api import expect

from commitments.models import Commitment
from tests.browser import checkers


def test_an_owner_finds_an_overdue_commitment_and_closes_it_without_a_reload(log_in, live_server, screenshot):
    page = log_in("owner")
    expect(page.get_by_role("heading", name="My open commitments")).to_be_visible()

    page.get_by_role("link", name="Commitments", exact=True).click()
    screenshot("commitment-list")
    page.get_by_role("link", name="Mine, overdue").click()
    expect(page).to_have_url(re.compile(r"owner=mine&overdue=true"))
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Overdue")

    page.get_by_role("link", name="Cooperate on countering terror financing through new technologies").click()
    expect(page.locator("#commitment-status")).to_have_text("Open")
    page.evaluate("window.stillTheSamePage = true")

    page.get_by_label("What happened?").fill("Joint workshop held with the FIU of Uzbekistan; closed.")
    page.get_by_label("New status").select_option("done")
    page.get_by_label("Source").fill("Note verbale of 3 November 2025")
    page.get_by_role("button", name="Post update").click()

    expect(page.locator("#journal-entries article").first).to_contain_text("Joint workshop held")
    expect(page.locator("#commitment-status")).to_have_text("Done")
    assert page.evaluate("window.stillTheSamePage") is True  # htmx swapped the journal in place
    expect(page.get_by_label("What happened?")).to_have_value("")

    commitment = Commitment.objects.get(title__startswith="Cooperate on countering terror financing")
    assert commitment.status == Commitment.Status.DONE

    page.get_by_role("link", name="Dashboard").click()
    expect(page.get_by_role("heading", name="Latest progress updates")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Joint workshop held with the FIU of Uzbekistan")
    mine = page.locator("section", has=page.get_by_role("heading", name="My open commitments"))
    expect(mine).not_to_contain_text("Cooperate on countering terror financing")
    screenshot("dashboard")


def test_progress_can_be_posted_without_javascript(browser, live_server, demo):
    from tests.browser.conftest import DEMO_PASSWORD

    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("owner")
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Log in").click()
    commitment = Commitment.objects.get(title__startswith="Launch joint research")
    page.goto(f"{live_server.url}{commitment.get_absolute_url()}")
    page.get_by_label("What happened?").fill("Terms of reference drafted.")
    page.get_by_role("button", name="Post update").click()
    expect(page.get_by_role("status")).to_contain_text("Progress update posted.")
    expect(page.locator("#journal-entries")).to_contain_text("Terms of reference drafted.")
    context.close()


def test_a_coordinator_edits_a_commitment(log_in, live_server, screenshot):
    page = log_in("coordinator")
    commitment = Commitment.objects.get(title__startswith="Exchange best practices")
    page.goto(f"{live_server.url}{commitment.get_absolute_url()}")
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Owner").select_option(label="Priya Nair")
    page.get_by_label("Lead agency").fill("Bureau of Police Research and Development")
    page.get_by_label("Follow-up date").fill("2027-02-15")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("status")).to_contain_text("Changes saved.")
    expect(page.locator("main")).to_contain_text("Bureau of Police Research and Development")
    expect(page.locator("main")).to_contain_text("15 February 2027")
    expect(page.locator("main")).to_contain_text("Owner: — → Priya Nair")
    screenshot("commitment-detail")
    commitment.refresh_from_db()
    assert commitment.owner.username == "owner2"
    assert commitment.version == 2


def test_a_coordinator_hands_an_officers_commitments_to_a_successor(log_in, live_server, screenshot):
    page = log_in("coordinator")
    page.get_by_role("link", name="Commitments", exact=True).click()
    page.get_by_role("link", name="Hand over commitments").click()
    page.get_by_label("Officer handing over").select_option(label="Arjun Mehta")
    page.get_by_label("Successor").select_option(label="Priya Nair")
    page.get_by_role("button", name="Show the open commitments").click()

    boxes = page.get_by_role("checkbox")
    expect(boxes).to_have_count(Commitment.objects.open().filter(owner__username="owner").count())
    for box in boxes.all():
        expect(box).to_be_checked()
    assert checkers.axe_violations(page) == []
    screenshot("handover")
    kept = page.get_by_role("checkbox", name=re.compile("Launch joint research"))
    kept.uncheck()
    page.get_by_role("button", name="Hand the ticked commitments over to Priya Nair").click()

    expect(page.get_by_role("status").first).to_contain_text("handed over from Arjun Mehta to Priya Nair")
    assert Commitment.objects.get(title__startswith="Launch joint research").owner.username == "owner"
    assert not Commitment.objects.open().filter(owner__username="owner").exclude(title__startswith="Launch").exists()


def test_a_coordinator_imports_a_spreadsheet_after_reading_its_preview(log_in, live_server, screenshot, tmp_path):
    from openpyxl import Workbook

    workbook = Workbook()
    for row in [
        ["Commitment", "Working group", "Agreed at", "Category", "Owner", "Follow-up date", "Status", "Remarks"],
        ["Exchange lists of wanted persons", "India–Uzbekistan JWG-CT", "9th meeting", "Information sharing",
         "owner", "15/03/2027", "Open", "from the 2025 tracker"],
        ["Hold a joint seminar on radicalization", "India–Uzbekistan JWG-CT", "9", "Research", "owner2",
         "1 April 2027", "in progress", ""],
        ["A row for a meeting never held", "India–Uzbekistan JWG-CT", "42", "Research", "", "", "", ""],
    ]:  # fmt: skip
        workbook.active.append(row)
    path = tmp_path / "JWG-CT action points.xlsx"
    workbook.save(path)

    page = log_in("coordinator")
    page.get_by_role("link", name="Meetings", exact=True).click()
    page.get_by_role("link", name="Import", exact=True).click()
    expect(page.get_by_label("Meetings")).to_be_checked()  # from the meeting list
    page.get_by_label("Commitments").check()
    page.get_by_role("button", name="Spreadsheet").set_input_files(path)
    page.get_by_role("button", name="Upload and preview").click()

    expect(page.get_by_role("heading", name="Preview: JWG-CT action points.xlsx")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Columns not read, as this app does not know them: “Remarks”")
    refused = page.locator("tbody tr", has_text="Refused")
    expect(refused).to_contain_text("has no 42nd meeting: import it first")
    expect(page.get_by_role("button", name=re.compile("^Import"))).to_have_count(0)
    assert checkers.axe_violations(page) == []
    screenshot("import-preview-refused")

    workbook.active.delete_rows(4)
    workbook.save(path)
    page.get_by_role("link", name="Upload a corrected file").click()
    page.get_by_role("button", name="Spreadsheet").set_input_files(path)
    page.get_by_role("button", name="Upload and preview").click()
    expect(page.locator("tbody tr")).to_have_count(2)
    page.get_by_role("button", name="Import: 2 new, 0 changed").click()

    expect(page.get_by_role("status").first).to_contain_text("Imported 2 commitments: 2 new, 0 changed, 0 unchanged")
    imported = Commitment.objects.get(title="Exchange lists of wanted persons")
    assert (imported.owner.username, str(imported.follow_up_date)) == ("owner", "2027-03-15")


def terror_financing_page(page, live_server):
    """The page of the owner's commitment on terror financing, marked to tell whether it is later reloaded."""
    commitment = Commitment.objects.get(title__startswith="Cooperate on countering terror financing")
    page.goto(f"{live_server.url}{commitment.get_absolute_url()}")
    page.evaluate("window.stillTheSamePage = true")
    return page, commitment


def test_an_owner_posts_progress_with_a_file_a_member_downloads_it_and_a_coordinator_deletes_it(
    log_in, live_server, screenshot, tmp_path
):
    report = tmp_path / "Workshop report, Tashkent.txt"
    report.write_text("Report of the joint workshop on terror financing, 12 November 2025.\n")
    page, commitment = terror_financing_page(log_in("owner"), live_server)
    page.get_by_label("What happened?").fill("Workshop held; its report attached.")
    page.get_by_label("Files with this update").set_input_files(report)
    page.get_by_role("button", name="Post update").click()
    entry = page.locator("#journal-entries article").first
    expect(entry).to_contain_text("Workshop held; its report attached.")
    expect(entry.get_by_role("link", name="Workshop report, Tashkent.txt")).to_be_visible()
    # The page's Attachments section lists it too, with its update, without a reload.
    expect(page.locator("#attachments").get_by_role("link", name="Workshop report, Tashkent.txt")).to_be_visible()
    expect(page.locator("#attachments")).to_contain_text("with the progress update of")
    expect(page.locator("section#attachments")).to_have_count(1)
    assert page.evaluate("window.stillTheSamePage") is True  # posted through htmx, with its file
    screenshot("progress-with-file")

    page.context.clear_cookies()
    page = log_in("member")
    page.goto(f"{live_server.url}{commitment.get_absolute_url()}")
    with page.expect_download() as download:
        page.locator("#attachments").get_by_role("link", name="Workshop report, Tashkent.txt").click()
    assert download.value.suggested_filename == "Workshop report, Tashkent.txt"
    assert Path(download.value.path()).read_bytes() == report.read_bytes()
    expect(page.locator("summary", has_text="Delete")).to_have_count(0)  # members do not delete

    page.context.clear_cookies()
    page = log_in("coordinator")
    page.goto(f"{live_server.url}{commitment.get_absolute_url()}")
    entry = page.locator("#journal-entries article").first
    entry.locator("summary", has_text="Delete “Workshop report, Tashkent.txt”…").click()
    entry.get_by_role("button", name="Delete “Workshop report, Tashkent.txt” for everyone").click()
    expect(page.get_by_role("status").first).to_contain_text("Deleted “Workshop report, Tashkent.txt”.")
    expect(page.locator("#history")).to_contain_text("deleted the file “Workshop report, Tashkent.txt” from it")
    assert not commitment.attachments.exists()


def test_an_upload_too_large_in_all_says_why_on_the_page_without_a_reload(log_in, live_server, tmp_path):
    """Two files of 14 MB: each may be kept, but not both in one upload; the refusal (413, before any form reads
    them) is shown where the page shows its messages, and the form keeps what was typed."""
    files = []
    for n in (1, 2):
        path = tmp_path / f"scan-{n}.txt"
        path.write_bytes(f"Scan {n}\n".encode() * (14 * 2**20 // 7))
        files.append(path)
    page, commitment = terror_financing_page(log_in("owner"), live_server)
    page.get_by_label("What happened?").fill("Scans of the signed minutes.")
    page.get_by_label("Files with this update").set_input_files(files)
    page.get_by_role("button", name="Post update").click()
    expect(page.locator("#messages [role=alert]")).to_contain_text("The upload is larger than this app accepts")
    assert page.evaluate("window.stillTheSamePage") is True
    expect(page.get_by_label("What happened?")).to_have_value("Scans of the signed minutes.")
    assert not commitment.progress_updates.filter(text__startswith="Scans").exists()

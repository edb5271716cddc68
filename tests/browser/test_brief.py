"""A coordinator opens the brief of the 10th meeting, freezes it and downloads it as a Word document and a PDF."""

import io

from docx import Document
from playwright.sync_api import expect

from meetings.models import Meeting
from tests.readers import pdf_pages


def test_a_coordinator_opens_freezes_and_downloads_the_brief(log_in, live_server, screenshot):
    page = log_in("coordinator")
    tenth = Meeting.objects.get(group__slug="india-uzbekistan-jwg-ct", number=10)
    page.goto(f"{live_server.url}{tenth.get_absolute_url()}")
    page.get_by_role("link", name="Brief", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Brief for the 10th meeting")
    expect(page.get_by_role("heading", name="Information sharing")).to_be_visible()

    page.get_by_role("button", name="Freeze this brief").click()
    expect(page.get_by_role("status").first).to_contain_text("Brief frozen")
    expect(page.locator("main")).to_contain_text("Frozen version of")
    screenshot("brief")

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download Word (.docx)").click()
    download = download_info.value
    assert download.suggested_filename == "brief-india-uzbekistan-jwg-ct-10-frozen.docx"
    document = Document(io.BytesIO(open(download.path(), "rb").read()))  # noqa: SIM115
    assert document.paragraphs[0].text.startswith("Brief for the 10th meeting")
    assert "Share intelligence on terrorist groups and their movements" in [
        row.cells[0].text.split("\n")[0] for table in document.tables for row in table.rows
    ]

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    download = download_info.value
    assert download.suggested_filename == "brief-india-uzbekistan-jwg-ct-10-frozen.pdf"
    pages = pdf_pages(open(download.path(), "rb").read())  # noqa: SIM115
    assert "Frozen on" in pages[0] and "by Meera Krishnan" in pages[0]
    assert "Share intelligence on terrorist groups and their movements" in " ".join(pages)

    page.emulate_media(media="print")
    expect(page.get_by_role("button", name="Freeze this brief")).to_be_hidden()
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()


def test_the_printed_live_brief_has_no_notice_of_the_frozen_one(log_in, live_server):
    page = log_in("coordinator")
    tenth = Meeting.objects.get(group__slug="india-uzbekistan-jwg-ct", number=10)
    page.goto(f"{live_server.url}{tenth.get_absolute_url()}brief/")
    page.get_by_role("button", name="Freeze this brief").click()
    page.get_by_role("link", name="See the live brief").click()
    notice = page.get_by_role("status").filter(has_text="Live brief")
    expect(notice).to_be_visible()

    page.emulate_media(media="print")
    expect(notice).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Brief for the 10th meeting")

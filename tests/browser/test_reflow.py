"""Narrow screens. No page scrolls sideways at 320 CSS pixels (WCAG 1.4.10, reflow): as a coordinator, as an owner
and before logging in, over the pages of tests/browser/pages.py, with words too long for a line among what people
wrote (a link pasted whole, a title without spaces). On a phone, the commitment list fits the screen and the
dashboard's chart keeps its bars."""

import pytest
from django.utils.formats import date_format
from playwright.sync_api import expect

from commitments.models import Commitment
from tests.browser import checkers, pages
from tests.browser.conftest import DEMO_PASSWORD

WIDTH, HEIGHT = 320, 640
LINK = "https://mea.sharepoint.example/sites/CTDivision/Shared%20Documents/JWG-CT/9th%20meeting/" + "Note_verbale" * 12
TITLE = "Joint_training_calendar_" * 12  # 288 characters, no space


def write_long_words() -> Commitment:
    """A progress update holding a link pasted whole, and a commitment titled without a space, of the owner's."""
    commitment = Commitment.objects.filter(owner__username="owner", restricted=False).order_by("pk").first()
    commitment.post_progress(author=commitment.owner, text=f"The note is at {LINK} for all to read.", source=LINK)
    commitment.title = TITLE
    commitment.lead_agency = LINK[:200]
    commitment.save_versioned(commitment.version, user=commitment.owner)
    return commitment


@pytest.mark.parametrize("persona", pages.PERSONAS, ids=lambda persona: persona or "anonymous")  # one test each
def test_no_page_scrolls_sideways_at_320_px(browser, browser_context_args, live_server, demo, persona):
    write_long_words()
    found = []
    for survey in pages.surveys([persona]):
        state = pages.log_in_state(browser, live_server.url, survey.persona, DEMO_PASSWORD)
        context = browser.new_context(
            **{**browser_context_args, "viewport": {"width": WIDTH, "height": HEIGHT}}, storage_state=state
        )
        tab = context.new_page()
        for page in survey.pages:
            pages.open_page(tab, live_server.url, page)
            if sideways := tab.evaluate(checkers.SIDEWAYS):
                found.append(
                    f"{pages.persona_label(survey.persona)}, {page.name} ({page.path}): "
                    f"{sideways['scrollWidth']} px wide in {sideways['clientWidth']} px; widest: {sideways['widest']}"
                )
        context.close()
    assert not found, f"{len(found)} pages scroll sideways at {WIDTH} px:\n" + "\n".join(found)


def test_on_a_phone_commitments_fit_the_screen_and_charts_keep_their_bars(log_in, live_server):
    page = log_in("owner")
    page.set_viewport_size({"width": 390, "height": 844})
    bars = page.locator("main svg.chart-bar")
    expect(bars.first).to_be_visible()
    for bar in bars.all():
        assert bar.bounding_box()["width"] >= 390 / 3, f"a chart bar drawn {bar.bounding_box()['width']} px wide"

    page.goto(f"{live_server.url}/commitments/")
    rows = page.locator("main tbody tr")
    expect(rows).to_have_count(Commitment.objects.filter(meeting__group__slug=pages.GROUP).count())
    for row in rows.all():
        for cell in row.locator("td").all():
            box = cell.bounding_box()
            assert box is None or (box["x"] >= 0 and box["x"] + box["width"] <= 390), (
                f"{cell.inner_text()!r} of {row.get_by_role('link').first.inner_text()!r} is off the screen: {box}"
            )
    shared = Commitment.objects.get(title__startswith="Share intelligence")
    card = rows.filter(has=page.get_by_role("link", name=shared.title))
    for text in ("In progress", "Arjun Mehta", date_format(shared.follow_up_date), "Overdue"):
        expect(card.get_by_text(text).first).to_be_in_viewport()


# Boxes that spill out of the box they are in (a table wider than its scrolling box, a card's title cut off at its
# edge), and buttons of one word broken onto two lines.
SPILLED = """() => {
    const spilled = [];
    for (const box of document.querySelectorAll("main .table-responsive, main .table-cards td, main p, main h1")) {
        const inner = box.firstElementChild && box.classList.contains("table-responsive") ? box.firstElementChild : box;
        if (inner.scrollWidth > box.clientWidth + 1) {
            const name = `${box.tagName.toLowerCase()}.${[...box.classList].join(".")}`;
            spilled.push(`${name}: ${inner.scrollWidth} px in ${box.clientWidth}`);
        }
    }
    for (const button of document.querySelectorAll("main .btn")) {
        const style = getComputedStyle(button);
        const lines = (button.clientHeight - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom))
            / parseFloat(style.lineHeight);
        if (button.offsetParent && !button.textContent.trim().includes(" ") && lines > 1.5) {
            spilled.push(`button "${button.textContent.trim()}" on ${Math.round(lines)} lines`);
        }
    }
    return spilled;
}"""


@pytest.mark.parametrize("width", [320, 768, 1024, 1280])
def test_long_words_wrap_in_their_column_at_any_width(log_in, live_server, width):
    """A title without spaces breaks in its column, a table's or a card's, rather than widen a table past its box;
    a button's one word is never broken; the navigation fits beside the page (a coordinator has the most links)."""
    commitment = write_long_words()
    page = log_in("coordinator")
    page.set_viewport_size({"width": width, "height": 800})
    for path in (
        "/",
        "/commitments/",
        commitment.get_absolute_url(),
        commitment.meeting.get_absolute_url(),
        "/search/?q=Joint_training",
        "/search/?q=Tashkent",
    ):
        page.goto(live_server.url + path)
        assert page.evaluate(checkers.SIDEWAYS) is None, (path, width)
        assert page.evaluate(SPILLED) == [], (path, width)


def test_long_words_wrap_in_their_column_on_a_wide_screen(log_in, live_server):
    commitment = write_long_words()
    page = log_in("owner")
    page.set_viewport_size({"width": 1280, "height": 800})
    for path in (
        "/",
        commitment.get_absolute_url(),
        commitment.meeting.get_absolute_url(),
        "/search/?q=Joint_training",
    ):
        page.goto(live_server.url + path)
        assert page.evaluate(checkers.SIDEWAYS) is None, path
        for text in page.locator("main").get_by_text("Note_verbale").all() + page.locator("main p, main h1").all():
            box, column = text.bounding_box(), text.locator("xpath=..").bounding_box()
            assert box is None or box["x"] + box["width"] <= column["x"] + column["width"] + 1, (
                path,
                text.inner_text(),
            )

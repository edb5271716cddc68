"""Data entry that never loses, reverts or silently ignores what people type, in a real browser."""

from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from commitments.models import Commitment
from meetings.models import Meeting


def in_two_tabs(log_in, live_server, path: str):
    """The coordinator with a form open in two tabs, B opened first: (tab A, tab B)."""
    page = log_in("coordinator")
    tab_b = page.context.new_page()
    tab_b.goto(live_server.url + path)
    page.goto(live_server.url + path)
    return page, tab_b


def test_a_refused_save_does_not_put_back_a_colleagues_change(log_in, live_server):
    commitment = Commitment.objects.get(title__startswith="Exchange best practices")
    page, tab_b = in_two_tabs(log_in, live_server, f"/commitments/{commitment.pk}/edit/")

    page.get_by_label("Owner").select_option(label="Priya Nair")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("Changes saved.")

    tab_b.get_by_label("Description").fill("Exchanges through the liaison officers, every quarter.")
    tab_b.get_by_role("button", name="Save").click()
    expect(tab_b.get_by_role("alert")).to_contain_text("saved this commitment at")
    priya = get_user_model().objects.get(username="owner2")
    expect(tab_b.get_by_label("Owner")).to_have_value(str(priya.pk))  # the colleague's owner, not the old one
    expect(tab_b.get_by_label("Description")).to_have_value("Exchanges through the liaison officers, every quarter.")

    tab_b.get_by_role("button", name="Save").click()
    expect(tab_b.get_by_role("status")).to_contain_text("Changes saved.")
    commitment.refresh_from_db()
    assert commitment.owner == priya
    assert commitment.description == "Exchanges through the liaison officers, every quarter."


def test_dates_entered_on_a_planned_meeting_are_provisional_until_agreed(log_in, live_server):
    page = log_in("coordinator")
    tenth = Meeting.objects.get(number=10, group__slug="india-uzbekistan-jwg-ct")
    page.goto(f"{live_server.url}/meetings/{tenth.pk}/edit/")
    page.get_by_label("Start date").fill("2027-01-12")
    page.get_by_label("End date").fill("2027-01-13")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("alert")).to_contain_text("Are these dates agreed?")
    page.get_by_role("button", name="Keep them provisional").click()
    expect(page.locator("main")).to_contain_text("provisional: 12–13 January 2027")
    page.get_by_role("link", name="Dashboard").click()
    expect(page.locator("main")).to_contain_text("provisional: 12–13 January 2027")

    page.goto(f"{live_server.url}/meetings/{tenth.pk}/edit/")
    page.get_by_label("Status").select_option(label="Scheduled")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("10th meeting saved: scheduled for 12–13 January 2027.")
    expect(page.locator("main")).not_to_contain_text("provisional")
    tenth.refresh_from_db()
    assert tenth.status == Meeting.Status.SCHEDULED


def test_posting_progress_updates_the_facts_and_the_history_and_is_announced(log_in, live_server):
    page = log_in("owner")
    commitment = Commitment.objects.get(title__startswith="Cooperate on countering terror financing")
    page.goto(f"{live_server.url}{commitment.get_absolute_url()}")
    facts = page.locator("#commitment-facts")
    expect(facts).to_contain_text("Overdue")
    page.evaluate("window.stillTheSamePage = true")

    page.get_by_label("What happened?").fill("Joint workshop held with the FIU of Uzbekistan; closed.")
    page.get_by_label("New status").select_option("done")
    page.get_by_role("button", name="Post update").click()

    expect(page.locator("#journal-news")).to_have_text("Progress update posted.")
    expect(page.locator("#journal-news")).to_have_attribute("aria-live", "polite")  # read out by screen readers
    expect(facts).not_to_contain_text("Overdue")  # closed: no longer overdue
    expect(page.locator("#history")).to_contain_text("Status: Open → Done")
    focused = page.evaluate("document.activeElement.textContent")
    assert "Joint workshop held" in focused  # focus on the entry just posted, not lost to the page
    assert page.evaluate("window.stillTheSamePage") is True

    page.get_by_label("What happened?").fill("   ")  # blank to the server, though not to the browser's check
    page.get_by_role("button", name="Post update").click()
    expect(page.locator("#journal-news")).to_contain_text("Not posted")
    assert "Not posted" in page.evaluate("document.activeElement.textContent")


def test_a_coordinator_enters_the_tenth_meetings_co_chairs_and_agenda_on_its_page(log_in, live_server):
    page = log_in("coordinator")
    tenth = Meeting.objects.get(number=10, group__slug="india-uzbekistan-jwg-ct")
    page.goto(f"{live_server.url}/meetings/{tenth.pk}/edit/")
    page.get_by_role("link", name="Copy the co-chairs of the 9th meeting").click()
    first = page.get_by_role("group", name="Participant 1")
    expect(first.get_by_label("Role")).to_have_value("co_chair")
    expect(first.get_by_label("Name")).not_to_have_value("")
    topic = page.get_by_role("group", name="Agenda topic 1")
    topic.get_by_label("Title").fill("Exchange of views on the terrorist threat in the region")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("status")).to_contain_text("10th meeting saved.")
    ninth_co_chairs = Meeting.objects.get(number=9, group=tenth.group).participants.filter(role="co_chair")
    for co_chair in ninth_co_chairs:
        expect(page.locator("main")).to_contain_text(co_chair.name)
    expect(page.locator("main")).to_contain_text("Exchange of views on the terrorist threat in the region")
    assert tenth.participants.filter(role="co_chair").count() == ninth_co_chairs.count() > 0


def test_a_coordinator_enters_commitments_in_a_row(log_in, live_server):
    page = log_in("coordinator")
    ninth = Meeting.objects.get(number=9, group__slug="india-uzbekistan-jwg-ct")
    page.goto(f"{live_server.url}/commitments/new/?meeting={ninth.pk}")
    page.get_by_label("Title").fill("Exchange lists of designated terrorist organisations")
    page.get_by_label("Category").select_option(label="Information sharing")
    lead_agency = page.get_by_label("Lead agency")
    suggestions = lead_agency.get_attribute("list")
    assert 'value="Ministry of Home Affairs"' in page.locator(f"#{suggestions}").inner_html()
    lead_agency.fill("Ministry of Home Affairs")
    page.get_by_label("Restricted").check()
    page.get_by_role("group", name="Access granted to").get_by_label("Priya Nair").check()
    page.get_by_role("button", name="Save and add another").click()

    expect(page.get_by_role("status")).to_contain_text("Enter the next one.")
    expect(page.get_by_label("Agreed at")).to_have_value(str(ninth.pk))
    expect(page.get_by_label("Category")).to_have_value(str(Commitment.objects.latest("pk").category_id))
    expect(page.get_by_label("Title")).to_have_value("")
    saved = Commitment.objects.get(title="Exchange lists of designated terrorist organisations")
    assert [u.username for u in saved.access_granted_to.all()] == ["owner2"]


def test_a_meeting_saved_in_another_tab_is_not_overwritten(log_in, live_server):
    tenth = Meeting.objects.get(number=10, group__slug="india-uzbekistan-jwg-ct")
    page, tab_b = in_two_tabs(log_in, live_server, f"/meetings/{tenth.pk}/edit/")
    page.get_by_label("Status").select_option(label="Scheduled")
    page.get_by_label("Start date").fill("2027-01-19")
    page.get_by_label("End date").fill("2027-01-20")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("10th meeting saved: scheduled for 19–20 January 2027.")

    tab_b.get_by_label("Venue").fill("Hyderabad House")
    tab_b.get_by_role("button", name="Save").click()
    expect(tab_b.get_by_role("alert").first).to_contain_text("saved this meeting at")
    expect(tab_b.get_by_label("Start date")).to_have_value("2027-01-19")
    tab_b.get_by_role("button", name="Save").click()
    expect(tab_b.get_by_role("status")).to_contain_text("10th meeting saved.")
    tenth.refresh_from_db()
    assert (tenth.status, tenth.venue, str(tenth.start_date)) == ("scheduled", "Hyderabad House", "2027-01-19")


def test_a_meeting_field_both_changed_is_chosen_not_overwritten(log_in, live_server):
    ninth = Meeting.objects.get(number=9, group__slug="india-uzbekistan-jwg-ct")
    page, tab_b = in_two_tabs(log_in, live_server, f"/meetings/{ninth.pk}/edit/")
    page.get_by_label("Venue").fill("Venue A")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text("9th meeting saved.")

    tab_b.get_by_label("Venue").fill("Venue B")
    tab_b.get_by_role("button", name="Save").click()
    expect(tab_b.get_by_role("group", name="Venue")).to_be_visible()
    tab_b.get_by_role("button", name="Save").click()  # no choice made
    expect(tab_b.locator("main")).to_contain_text("Choose which value to keep.")
    ninth.refresh_from_db()
    assert ninth.venue == "Venue A"
    tab_b.get_by_label("Keep yours: Venue B").check()
    tab_b.get_by_role("button", name="Save").click()
    expect(tab_b.get_by_role("status")).to_contain_text("9th meeting saved.")
    ninth.refresh_from_db()
    assert ninth.venue == "Venue B"

"""The Django admin under our enforced Content-Security-Policy, in Chromium: nothing is
blocked, the nonce'd styles apply, and the admin's own scripts still run."""

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import ConsoleMessage, expect

from optout.admin.group import maintainers_group_ensure
from optout.models import RemovalRequest
from tests.support.browser import chromium
from tests.support.factories import DatasetFactory, PhotoFactory, RemovalRequestFactory

pytestmark = pytest.mark.django_db(transaction=True)
S = RemovalRequest.Status


def test_the_admin_logs_in_lists_changes_and_acts_with_nothing_blocked(
    live_server: object,
) -> None:
    url = str(live_server)
    user = User.objects.create_user("mia@example.org", "mia@example.org", "queue-pass-123")
    user.is_staff = True
    user.save()
    user.groups.add(maintainers_group_ensure())
    dif = DatasetFactory(slug="dif", name="Diversity in Faces")
    waiting = [
        RemovalRequestFactory(status=S.NEEDS_REVIEW, photos=[PhotoFactory(dataset=dif)])
        for _ in range(2)
    ]

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        blocked: list[str] = []

        def watch(message: ConsoleMessage) -> None:
            if "Content Security Policy" in message.text:
                blocked.append(message.text)

        page.on("console", watch)
        page.goto(f"{url}/admin/")
        page.get_by_label("Username").fill("mia@example.org")
        page.get_by_label("Password").fill("queue-pass-123")
        page.get_by_role("button", name="Log in").click()

        # The dashboard's own <style nonce> block applies.
        figures = page.locator(".dashboard-figures")
        expect(figures).to_be_visible()
        assert figures.evaluate("e => getComputedStyle(e).display") == "grid"
        # This week's bar (both requests were filed now) is drawn full height, in
        # SVG: a style attribute would have been blocked.
        this_week = page.locator(".week-bars").last
        assert this_week.locator(".bar-filed").get_attribute("height") == "100"
        assert this_week.evaluate("e => e.getBoundingClientRect().height") > 100

        page.goto(f"{url}/admin/optout/removalrequest/?state=all")
        # actions.js runs: ticking "select all" updates the counter it draws.
        page.locator("#action-toggle").check()
        expect(page.locator(".action-counter")).to_contain_text("2 of 2 selected")
        page.locator("#action-toggle").uncheck()

        page.get_by_role("link", name=waiting[0].public_id).click()
        expect(page.locator("#content h1, #content h2").first).to_be_visible()
        assert "/change/" in page.url

        page.goto(f"{url}/admin/optout/removalrequest/?state=all")
        page.locator(f'input[name="_selected_action"][value="{waiting[0].pk}"]').check()
        page.locator('select[name="action"]').select_option("approve")
        page.get_by_role("button", name="Run").click()
        expect(page.locator(".messagelist")).to_contain_text(f"Approved: {waiting[0].public_id}.")
        assert blocked == []

    waiting[0].refresh_from_db()
    assert waiting[0].status == S.APPROVED

"""A maintainer in a real browser: log in, filter overdue requests, approve two, reject one.

Debian's Chromium driven by Playwright against Django's live server (see
RECIPES.md); the screenshot of the queue lands in artifacts/.
"""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import Page, expect

from optout.admin.group import maintainers_group_ensure
from optout.models import RemovalRequest
from tests.support.browser import ARTIFACTS, chromium
from tests.support.factories import DatasetFactory, PhotoFactory, RemovalRequestFactory

pytestmark = pytest.mark.django_db(transaction=True)
S = RemovalRequest.Status


def tick(page: Page, removal: RemovalRequest) -> None:
    page.locator(f'input[name="_selected_action"][value="{removal.pk}"]').check()


def test_a_maintainer_approves_two_overdue_requests_and_rejects_one(
    live_server: object, run_tasks: Callable[[], list[str]]
) -> None:
    url = str(live_server)
    user = User.objects.create_user("mia@example.org", "mia@example.org", "queue-pass-123")
    user.is_staff = True
    user.save()
    user.groups.add(maintainers_group_ensure())
    dif = DatasetFactory(slug="dif", name="Diversity in Faces", release="1.0")
    late = timezone.now() - timedelta(days=3, hours=2)
    first, second, third = (
        RemovalRequestFactory(
            status=S.NEEDS_REVIEW,
            deadline=late,
            flickr_username=f"late{n}",
            photos=[PhotoFactory(dataset=dif) for _ in range(n + 1)],
        )
        for n in range(3)
    )
    on_time = RemovalRequestFactory(status=S.NEEDS_REVIEW, photos=[PhotoFactory(dataset=dif)])

    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(f"{url}/admin/")
        page.get_by_label("Username").fill("mia@example.org")
        page.get_by_label("Password").fill("queue-pass-123")
        page.get_by_role("button", name="Log in").click()
        expect(page.locator("#dashboard")).to_contain_text("Overdue")

        page.get_by_role("link", name="Removal requests").first.click()
        page.get_by_role("link", name="overdue", exact=True).click()
        expect(page.locator("#result_list")).not_to_contain_text(on_time.public_id)
        expect(page.locator("#result_list")).to_contain_text(third.public_id)

        tick(page, first)
        tick(page, second)
        page.locator('select[name="action"]').select_option("approve")
        page.get_by_role("button", name="Run").click()
        expect(page.locator(".messagelist")).to_contain_text(
            f"Approved: {', '.join(sorted([first.public_id, second.public_id]))}."
        )

        tick(page, third)
        page.locator('select[name="action"]').select_option("reject")
        page.get_by_role("button", name="Run").click()
        page.get_by_label("We could not see you in the photos you named.").check()
        page.get_by_label("In your words (sent to the requester)").fill("The face is not visible.")
        page.get_by_role("button", name="Reject with a reason").click()
        expect(page.locator(".messagelist")).to_contain_text(f"Rejected: {third.public_id}.")

        page.goto(f"{url}/admin/optout/removalrequest/?state=all")
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "admin-queue.png"), full_page=True)
        page.goto(f"{url}/admin/")
        page.screenshot(path=str(ARTIFACTS / "admin-dashboard.png"), full_page=True)
        page.goto(f"{url}/admin/optout/removalrequest/{third.pk}/change/")
        expect(page.locator("body")).to_contain_text("The face is not visible.")
        page.screenshot(path=str(ARTIFACTS / "admin-request.png"), full_page=True)

    statuses = dict(RemovalRequest.objects.values_list("public_id", "status"))
    assert statuses == {
        first.public_id: S.APPROVED,
        second.public_id: S.APPROVED,
        third.public_id: S.REJECTED,
        on_time.public_id: S.NEEDS_REVIEW,
    }
    third.refresh_from_db()
    assert third.reject_reason == (
        "We could not see you in the photos you named. The face is not visible."
    )
    assert (ARTIFACTS / "admin-queue.png").stat().st_size > 0

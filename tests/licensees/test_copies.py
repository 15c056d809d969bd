"""What the owner sees of the copies: "3 of 5 organisations with a copy have confirmed
the deletion" on the status page and per photo in the receipt, names only where the
licensee allows it, and one `downstream_done` email when the last copy is clean."""

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from optout import licensees, secret_links
from optout.models import Dataset, EmailLog, RemovalRequest, RequestLink
from tests.support.factories import DatasetFactory, PhotoFactory
from tests.support.licensees import ack_post, feed_get, licensee_register, removal_complete
from tests.support.mail import html_part
from tests.support.responses import streamed_text

pytestmark = pytest.mark.django_db
RunTasks = Callable[[], list[str]]


@pytest.fixture
def dif() -> Dataset:
    return DatasetFactory(slug="diversity-in-faces", name="Diversity in Faces")


def status_page(client: Client, removal: RemovalRequest) -> str:
    token = secret_links.link_mint(removal=removal, purpose=RequestLink.Purpose.STATUS)
    return client.get(reverse("request_status", args=[token])).content.decode()


def receipt_rows(client: Client, removal: RemovalRequest) -> list[list[str]]:
    token = secret_links.link_mint(removal=removal, purpose=RequestLink.Purpose.STATUS)
    text = streamed_text(client.get(reverse("request_receipt", args=[token])))
    return [line.split(",") for line in text.splitlines()]


def catch_up(client: Client, lab: licensees.Credentials, slug: str) -> dict:
    """The licensee reads its feed to the end and acknowledges it."""
    cursor = feed_get(client, lab.token, slug, limit=10_000).json()["cursor"]
    return ack_post(client, lab.token, slug, cursor).json()


def test_the_status_page_counts_the_copies_confirmed_and_names_only_those_that_allow_it(
    client: Client, dif: Dataset
) -> None:
    removal = removal_complete([PhotoFactory(dataset=dif) for _ in range(2)])
    labs = [
        licensee_register([dif], name="Lab Anne", show_name=True),
        licensee_register([dif], name="Lab Secret"),
        licensee_register([dif], name="Lab Bob", show_name=True),
        licensee_register([dif], name="Lab Hidden"),
        licensee_register([dif], name="Lab Carl"),
    ]
    for lab in labs[:3]:
        catch_up(client, lab, dif.slug)

    page = status_page(client, removal)

    assert "3 of 5 organisations with a copy have confirmed the deletion." in page
    assert "Lab Anne: confirmed" in page and "Lab Bob: confirmed" in page
    assert "Lab Secret" not in page and "Lab Hidden" not in page and "Lab Carl" not in page


def test_it_updates_as_acknowledgements_arrive_and_says_so_once_all_are_in(
    client: Client, dif: Dataset
) -> None:
    removal = removal_complete([PhotoFactory(dataset=dif)])
    first, second = licensee_register([dif]), licensee_register([dif])

    before = status_page(client, removal)
    catch_up(client, first, dif.slug)
    halfway = status_page(client, removal)
    catch_up(client, second, dif.slug)
    after = status_page(client, removal)

    assert "0 of 2 organisations with a copy have confirmed the deletion." in before
    assert "1 of 2 organisations with a copy has confirmed the deletion." in halfway
    assert "All 2 organisations with a copy have confirmed the deletion." in after
    assert "we email you once every copy" not in after


def test_a_licensee_that_joined_after_the_removal_counts_when_its_copy_is_older(
    client: Client, dif: Dataset
) -> None:
    now = timezone.now()
    removal = removal_complete([PhotoFactory(dataset=dif)], at=now - timedelta(days=20))
    licensee_register([dif], since=now - timedelta(days=100))  # joined now, copy older
    licensee_register([dif], since=now - timedelta(days=5))  # copied after: never held it

    copies = licensees.request_copies(removal=removal)

    assert (copies.confirmed, copies.total) == (0, 1)


def test_a_request_in_two_datasets_is_confirmed_by_a_licensee_once_both_copies_are_clean(
    client: Client, dif: Dataset
) -> None:
    ffhq = DatasetFactory(slug="ffhq")
    removal = removal_complete([PhotoFactory(dataset=dif), PhotoFactory(dataset=ffhq)])
    lab = licensee_register([dif, ffhq])

    catch_up(client, lab, dif.slug)
    halfway = licensees.request_copies(removal=removal)
    catch_up(client, lab, ffhq.slug)
    done = licensees.request_copies(removal=removal)

    assert (halfway.confirmed, halfway.total) == (0, 1)
    assert (done.confirmed, done.total) == (1, 1)


def test_the_receipt_says_per_photo_how_many_copies_confirmed_deleting_it(
    client: Client, dif: Dataset
) -> None:
    ffhq = DatasetFactory(slug="ffhq")
    removal = removal_complete([PhotoFactory(dataset=dif), PhotoFactory(dataset=ffhq)])
    both = licensee_register([dif, ffhq])
    licensee_register([dif])
    catch_up(client, both, dif.slug)

    header, *rows = receipt_rows(client, removal)

    assert header[-2:] == ["copies_confirmed", "copies_known"]
    assert sorted((row[1], row[-2], row[-1]) for row in rows) == [
        ("diversity-in-faces", "1", "2"),
        ("ffhq", "0", "1"),
    ]


def test_no_copy_we_know_of_means_nothing_is_said_of_copies(client: Client, dif: Dataset) -> None:
    removal = removal_complete([PhotoFactory(dataset=dif)])

    page = status_page(client, removal)

    assert "organisations with a copy" not in page and "Copies held by" not in page


def test_the_owner_gets_downstream_done_once_when_the_last_copy_is_confirmed(
    client: Client, dif: Dataset, run_tasks: RunTasks, django_capture_on_commit_callbacks: Callable
) -> None:
    removal = removal_complete([PhotoFactory(dataset=dif) for _ in range(3)])
    first, second = licensee_register([dif]), licensee_register([dif])

    with django_capture_on_commit_callbacks(execute=True):
        catch_up(client, first, dif.slug)
    with django_capture_on_commit_callbacks(execute=True):
        run_tasks()
    assert not [m for m in mail.outbox if "every copy" in m.subject]

    with django_capture_on_commit_callbacks(execute=True):
        catch_up(client, second, dif.slug)
        catch_up(client, second, dif.slug)  # a repeat
    for _ in range(3):
        with django_capture_on_commit_callbacks(execute=True):
            run_tasks()

    [done] = [m for m in mail.outbox if "every copy" in m.subject]
    assert done.subject == (
        f"Your photos are gone from every copy we know of (request {removal.public_id})"
    )
    assert done.to == [removal.email]
    assert "Every organisation we know holds a copy" in done.body
    assert "Your photos are gone from every copy we know of." in html_part(done)
    assert EmailLog.objects.filter(request=removal, kind="downstream_done").count() == 1


def test_an_acknowledgement_whose_check_was_lost_is_checked_by_the_sweeper(
    client: Client, dif: Dataset, django_capture_on_commit_callbacks: Callable
) -> None:
    removal = removal_complete([PhotoFactory(dataset=dif)])
    lab = licensee_register([dif])
    catch_up(client, lab, dif.slug)  # its on-commit task never sent (not captured)
    ack = lab.licensee.holdings.get().acknowledgements.get()
    type(ack).objects.filter(pk=ack.pk).update(at=timezone.now() - timedelta(minutes=5))

    with django_capture_on_commit_callbacks(execute=False):
        told = licensees.acknowledgements_sweep()

    assert told == 1
    assert EmailLog.objects.filter(request=removal, kind="downstream_done").exists()
    ack.refresh_from_db()
    assert ack.checked_at is not None
    assert licensees.acknowledgements_sweep() == 0

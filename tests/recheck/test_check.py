"""Checking one owner against Flickr: the cheaper way, the signals, and that an error is
never a signal (a timeout, a 5xx, a 429, an unreadable answer, a spent budget)."""

import pytest
from pytest_django.fixtures import Settings

from devtools.flickr_simulator import FlickrSimulator
from optout.recheck import CheckInterrupted, calls_needed, cheaper_way
from optout.recheck.check import owner_check
from optout.recheck.signals import license_label
from tests.support.flickr import BEES, directory

NSID = BEES.nsid
BY_NC = "Attribution-NonCommercial License"


@pytest.fixture
def bees(flickr_sim: FlickrSimulator) -> dict[int, str]:
    """Bees's dataset photos (id -> the licence the manifest gave), all public on Flickr."""
    for n in range(2, 6):
        directory(flickr_sim).add_photo(5_100_000_000 + n, NSID, license=2)
    return {5_100_000_000 + n: BY_NC for n in range(1, 6)}


def kinds(check: object) -> list[tuple[str, int | None]]:
    return [(f.kind, f.flickr_id) for f in check.findings]  # type: ignore[attr-defined]


def test_one_photo_is_asked_about_and_many_are_listed() -> None:
    assert cheaper_way(1, None) == "info"
    assert cheaper_way(5, None) == "list"
    assert cheaper_way(5, 2_000) == "list"  # 4 pages, not 5 photos
    assert cheaper_way(5, 3_000) == "info"  # 6 pages, not 5 photos
    assert cheaper_way(4, 2_000) == "info"  # a tie: the photos, with no confirmation to add
    assert calls_needed(4, 2_000) == 4 and calls_needed(40, 2_000) == 4


def test_an_owner_whose_photos_are_all_fine_has_no_signal_in_one_call(
    flickr_sim: FlickrSimulator, bees: dict[int, str]
) -> None:
    check = owner_check(nsid=NSID, photos=bees)
    assert check.findings == []
    assert check.calls == 1 and check.public_photos == 5
    assert flickr_sim.rest_calls() == ["flickr.people.getPublicPhotos"]


def test_a_no_cv_tag_in_the_list_is_a_signal(
    flickr_sim: FlickrSimulator, bees: dict[int, str]
) -> None:
    flickr_sim.switches.tag(5_100_000_003, "no_cv")
    check = owner_check(nsid=NSID, photos=bees)
    assert kinds(check) == [("no_cv", 5_100_000_003)]
    assert check.findings[0].detail == "Photo 5100000003 tagged no_cv on Flickr."


def test_a_no_cv_tag_is_found_raw_or_clean_in_a_photos_details(
    flickr_sim: FlickrSimulator,
) -> None:
    flickr_sim.switches.tag(5_100_000_001, "No CV")  # clean: nocv
    assert kinds(owner_check(nsid=NSID, photos={5_100_000_001: BY_NC})) == [
        ("no_cv", 5_100_000_001)
    ]
    assert flickr_sim.rest_calls() == ["flickr.photos.getInfo"]


@pytest.mark.parametrize("license", [0, 3, 6, 13, 16])
def test_all_rights_reserved_or_no_derivs_is_a_signal(
    flickr_sim: FlickrSimulator, bees: dict[int, str], license: int
) -> None:
    flickr_sim.switches.relicense(5_100_000_002, license)
    assert kinds(owner_check(nsid=NSID, photos=bees)) == [("license", 5_100_000_002)]


@pytest.mark.parametrize("license", [1, 2, 4, 5, 7, 9, 10, 11, 12, 14, 15])
def test_other_licences_are_no_signal(
    flickr_sim: FlickrSimulator, bees: dict[int, str], license: int
) -> None:
    flickr_sim.switches.relicense(5_100_000_002, license)
    assert owner_check(nsid=NSID, photos=bees).findings == []


def test_the_licence_change_reads_from_what_the_manifest_said(
    flickr_sim: FlickrSimulator, bees: dict[int, str]
) -> None:
    flickr_sim.switches.relicense(5_100_000_002, 0)
    (finding,) = owner_check(nsid=NSID, photos=bees).findings
    assert finding.detail == (
        "Photo 5100000002: licence changed from BY-NC 2.0 to All Rights Reserved on Flickr."
    )
    assert license_label("http://creativecommons.org/licenses/by-nd/2.0/") == "BY-ND 2.0"


def test_a_photo_missing_from_the_list_is_a_signal_once_get_info_confirms_it(
    flickr_sim: FlickrSimulator, bees: dict[int, str]
) -> None:
    flickr_sim.switches.make_private(5_100_000_004)
    check = owner_check(nsid=NSID, photos=bees)
    assert kinds(check) == [("gone", 5_100_000_004)]
    assert flickr_sim.rest_calls() == ["flickr.people.getPublicPhotos", "flickr.photos.getInfo"]


def test_a_photo_missing_from_the_list_but_shown_by_get_info_is_no_signal(
    flickr_sim: FlickrSimulator, bees: dict[int, str]
) -> None:
    # Unauthenticated lists leave out photos Flickr does not rate "safe": getInfo decides.
    directory(flickr_sim).add_photo(5_100_000_009, "99999999@N09")  # on another's list
    check = owner_check(nsid=NSID, photos={**bees, 5_100_000_009: BY_NC})
    assert check.findings == []


def test_a_deleted_account_is_one_signal_confirmed_by_people_get_info(
    flickr_sim: FlickrSimulator, bees: dict[int, str]
) -> None:
    flickr_sim.switches.delete_account(NSID)
    check = owner_check(nsid=NSID, photos=bees)
    assert kinds(check) == [("account", None)] and check.account_gone
    assert flickr_sim.rest_calls() == ["flickr.people.getPublicPhotos", "flickr.people.getInfo"]


def test_a_lone_deleted_photo_of_a_living_account_is_not_a_deleted_account(
    flickr_sim: FlickrSimulator,
) -> None:
    flickr_sim.switches.delete_photo(5_100_000_001)
    check = owner_check(nsid=NSID, photos={5_100_000_001: BY_NC})
    assert kinds(check) == [("gone", 5_100_000_001)]
    assert flickr_sim.rest_calls() == ["flickr.photos.getInfo", "flickr.people.getInfo"]


def test_a_long_list_gives_way_to_asking_about_each_photo(flickr_sim: FlickrSimulator) -> None:
    for n in range(1, 1_500):
        directory(flickr_sim).add_photo(9_000_000 + n, NSID)
    photos = {9_000_001: BY_NC, 9_000_002: BY_NC}  # the oldest: both on the last page
    check = owner_check(nsid=NSID, photos=photos)
    # Page 1 says 3 pages; the 2 photos not seen cost 2 calls, the 2 pages left 2 too.
    assert check.calls == 3 and check.public_photos == 1_500
    assert check.findings == []
    # Next pass knows the count: it asks about each photo at once.
    again = owner_check(nsid=NSID, photos=photos, public_photos=1_500)
    assert again.calls == 2 and again.way == "info"


# -- an error is never a signal ----------------------------------------------------------
@pytest.mark.parametrize("fault", ["timeout", "500", "ratelimit", "malformed", "unavailable"])
def test_a_failing_flickr_interrupts_the_check_with_no_signal(
    flickr_sim: FlickrSimulator, bees: dict[int, str], settings: Settings, fault: str
) -> None:
    settings.FLICKR_TIMEOUT = 0.3
    flickr_sim.switches.make_private(5_100_000_004)  # a real signal, never reached
    flickr_sim.set_fault_mode(fault)
    with pytest.raises(CheckInterrupted) as stop:
        owner_check(nsid=NSID, photos=bees)
    assert stop.value.calls == 1


def test_a_failure_after_a_clear_answer_still_interrupts_the_whole_owner(
    flickr_sim: FlickrSimulator, bees: dict[int, str]
) -> None:
    flickr_sim.switches.make_private(5_100_000_004)
    flickr_sim.fail_next("500", path="/services/rest")  # the list fails...
    with pytest.raises(CheckInterrupted):
        owner_check(nsid=NSID, photos=bees)
    flickr_sim.switches.delete_photo(5_100_000_005)
    # ...or the confirmation does, after a clear list: nothing of the owner counts.
    calls_before = len(flickr_sim.rest_calls())
    flickr_sim.fail_next("ratelimit", path="/services/rest")
    flickr_sim.fail_next("ratelimit", path="/services/rest")
    with pytest.raises(CheckInterrupted):
        owner_check(nsid=NSID, photos=bees)
    assert len(flickr_sim.rest_calls()) == calls_before + 1


def test_flickr_down_interrupts_the_check(
    flickr_sim: FlickrSimulator, bees: dict[int, str]
) -> None:
    flickr_sim.set_fault_mode("down")
    with pytest.raises(CheckInterrupted, match="could not reach Flickr"):
        owner_check(nsid=NSID, photos=bees)


def test_a_spent_budget_interrupts_the_check_before_any_call(
    flickr_sim: FlickrSimulator, bees: dict[int, str], settings: Settings
) -> None:
    settings.FLICKR_RECHECK_CALLS_PER_HOUR = 0
    with pytest.raises(CheckInterrupted, match="share of Flickr re-checks") as stop:
        owner_check(nsid=NSID, photos=bees)
    assert stop.value.error.retry_after and flickr_sim.rest_calls() == []


def test_a_no_derivs_licence_the_dataset_already_recorded_is_no_signal(
    flickr_sim: FlickrSimulator,
) -> None:
    directory(flickr_sim).add_photo(7_001, NSID, license=6)
    directory(flickr_sim).add_photo(7_002, NSID, license=0)
    photos = {7_001: "Attribution-NoDerivs License", 7_002: ""}  # the second: a link
    assert kinds(owner_check(nsid=NSID, photos=photos)) == [("license", 7_002)]

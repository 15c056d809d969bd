"""An owner's photos on Flickr, asked through our seam of the simulator: their public list
page by page (with licences and clean tags), one photo's details (raw and clean tags,
licence; Flickr's error 1 for a private or deleted one), and whether an account exists."""

import pytest

from devtools.flickr_simulator import FlickrSimulator
from optout import flickr
from tests.support.flickr import ANA, BEES, directory

RECHECK = flickr.Purpose.RECHECK


def test_an_owners_public_photos_come_with_their_licence_and_clean_tags(
    flickr_sim: FlickrSimulator,
) -> None:
    directory(flickr_sim).add_photo(7_001, BEES.nsid, "Comb", license=2, tags=("no_cv", "Bees!"))

    page = flickr.public_photos(BEES.nsid, purpose=RECHECK)

    assert (page.page, page.pages, page.total) == (1, 1, 2)
    listed = {photo.id: photo for photo in page.photos}
    assert listed[7_001].license == 2
    assert listed[7_001].tags == ("nocv", "bees")
    assert listed[5_100_000_001].tags == ()
    assert flickr_sim.rest_calls() == ["flickr.people.getPublicPhotos"]


def test_a_long_list_comes_500_photos_a_page(flickr_sim: FlickrSimulator) -> None:
    for n in range(1, 1_201):
        directory(flickr_sim).add_photo(9_000_000 + n, ANA.nsid)

    pages = [flickr.public_photos(ANA.nsid, page=n, purpose=RECHECK) for n in (1, 2, 3)]

    assert [p.pages for p in pages] == [3, 3, 3]
    assert [len(p.photos) for p in pages] == [500, 500, 201]
    ids = [photo.id for p in pages for photo in p.photos]
    assert len(set(ids)) == 1_201 and ids == sorted(ids, reverse=True)


def test_a_private_photo_is_left_out_of_the_list(flickr_sim: FlickrSimulator) -> None:
    flickr_sim.switches.make_private(5_100_000_001)

    assert flickr.public_photos(BEES.nsid, purpose=RECHECK).photos == ()


def test_the_list_of_an_unknown_account_is_user_not_found(flickr_sim: FlickrSimulator) -> None:
    with pytest.raises(flickr.FlickrNotFound):
        flickr.public_photos("11111111@N01", purpose=RECHECK)


def test_a_photos_details_give_its_tags_raw_and_clean(flickr_sim: FlickrSimulator) -> None:
    flickr_sim.switches.tag(5_100_000_001, "no_cv")
    flickr_sim.switches.relicense(5_100_000_001, 0)

    info = flickr.photo_info(5_100_000_001, purpose=RECHECK)

    assert info.owner_nsid == BEES.nsid
    assert info.tags == (flickr.Tag(raw="no_cv", clean="nocv"),)
    assert info.license == 0
    assert info.public


@pytest.mark.parametrize("switch", ["make_private", "delete_photo"])
def test_flickr_says_error_1_of_a_private_or_deleted_photo(
    flickr_sim: FlickrSimulator, switch: str
) -> None:
    getattr(flickr_sim.switches, switch)(5_100_000_001)

    with pytest.raises(flickr.FlickrNotFound, match="may be private or deleted"):
        flickr.photo_info(5_100_000_001, purpose=RECHECK)


def test_a_deleted_account_is_user_not_found_everywhere(flickr_sim: FlickrSimulator) -> None:
    assert flickr.people_info(BEES.nsid, purpose=RECHECK).username == "bees"
    flickr_sim.switches.delete_account(BEES.nsid)

    with pytest.raises(flickr.FlickrNotFound):
        flickr.people_info(BEES.nsid, purpose=RECHECK)
    with pytest.raises(flickr.FlickrNotFound):
        flickr.public_photos(BEES.nsid, purpose=RECHECK)
    with pytest.raises(flickr.FlickrNotFound):
        flickr.photo_info(5_100_000_001, purpose=RECHECK)


@pytest.mark.parametrize("mode", ["500", "ratelimit", "malformed", "unavailable", "down"])
def test_every_fault_is_flickr_unavailable_never_not_found(
    flickr_sim: FlickrSimulator, mode: str
) -> None:
    flickr_sim.set_fault_mode(mode)

    for ask in (
        lambda: flickr.public_photos(BEES.nsid, purpose=RECHECK),
        lambda: flickr.photo_info(5_100_000_001, purpose=RECHECK),
        lambda: flickr.people_info(BEES.nsid, purpose=RECHECK),
    ):
        with pytest.raises(flickr.FlickrUnavailable):
            ask()
        # A 429 rests the key for every later call, which is what it should do.
        if mode == "ratelimit":
            break


def test_the_re_check_spends_from_its_own_share(flickr_sim: FlickrSimulator) -> None:
    before = flickr.budget_used(RECHECK)
    flickr.photo_info(5_100_000_001, purpose=RECHECK)
    assert flickr.budget_used(RECHECK) == before + 1

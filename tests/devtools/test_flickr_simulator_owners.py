"""The simulator's side of the re-check: an owner's public list, a photo's details and an
account answered as Flickr does (API key checked), the switches for what owners do on
Flickr (by hand on /simulator/ under `make run`, kept in a file), its fault modes, and the
demo's world file (photos only Flickr knows the owner of)."""

import json
from pathlib import Path
from typing import Any

import pytest
import requests
from pytest_django.fixtures import Settings

from devtools.flickr_simulator import (
    FlickrSimulator,
    PhotoTableDirectory,
    RunningSimulator,
    Switches,
    clean_tag,
    other_photo_ids,
    world_write,
)
from tests.support.factories import PhotoFactory
from tests.support.flickr import ANA, BEES, directory


def rest(settings: Settings, **params: str) -> dict[str, Any]:
    answer = requests.get(
        settings.FLICKR_API_URL,
        params={"format": "json", "nojsoncallback": "1", **params},
        timeout=5,
    )
    assert answer.status_code == 200
    data: dict[str, Any] = answer.json()
    return data


def switches_page(settings: Settings, **form: str) -> requests.Response:
    base = settings.FLICKR_API_URL.removesuffix("/services/rest")
    if form:
        return requests.post(f"{base}/simulator/", data=form, timeout=5)
    return requests.get(f"{base}/simulator/", timeout=5)


@pytest.mark.parametrize(
    "method", ["flickr.people.getPublicPhotos", "flickr.people.getInfo", "flickr.photos.getInfo"]
)
def test_the_new_methods_check_the_api_key(
    flickr_sim: FlickrSimulator, settings: Settings, method: str
) -> None:
    answer = rest(settings, method=method, user_id=BEES.nsid, photo_id="1", api_key="c" * 32)
    assert answer == {"stat": "fail", "code": 100, "message": "Invalid API Key (Key not found)"}


def test_flickr_lists_tags_clean_and_gives_them_raw_in_a_photos_details(
    flickr_sim: FlickrSimulator, settings: Settings
) -> None:
    flickr_sim.switches.tag(5_100_000_001, "No CV!")
    key = flickr_sim.api_key

    listed = rest(
        settings,
        method="flickr.people.getPublicPhotos",
        user_id=BEES.nsid,
        extras="license,tags",
        api_key=key,
    )
    info = rest(settings, method="flickr.photos.getInfo", photo_id="5100000001", api_key=key)

    assert listed["photos"]["photo"][0]["tags"] == "nocv"
    assert listed["photos"]["photo"][0]["license"] == "4"
    tag = info["photo"]["tags"]["tag"][0]
    assert (tag["raw"], tag["_content"]) == ("No CV!", "nocv")
    assert clean_tag("no_cv") == "nocv"


def test_a_list_without_extras_has_no_tags_or_licence(
    flickr_sim: FlickrSimulator, settings: Settings
) -> None:
    listed = rest(
        settings,
        method="flickr.people.getPublicPhotos",
        user_id=BEES.nsid,
        api_key=flickr_sim.api_key,
    )
    assert "tags" not in listed["photos"]["photo"][0]
    assert "license" not in listed["photos"]["photo"][0]


def test_people_get_info_says_user_not_found_for_a_deleted_account(
    flickr_sim: FlickrSimulator, settings: Settings
) -> None:
    key = flickr_sim.api_key
    assert rest(settings, method="flickr.people.getInfo", user_id=ANA.nsid, api_key=key)["person"][
        "username"
    ] == {"_content": "Ana Lyst"}
    flickr_sim.switches.delete_account(ANA.nsid)
    gone = rest(settings, method="flickr.people.getInfo", user_id=ANA.nsid, api_key=key)
    assert gone == {"stat": "fail", "code": 1, "message": "User not found"}


def test_the_switches_page_tags_relicenses_hides_deletes_and_breaks_flickr(
    flickr_sim: FlickrSimulator, settings: Settings
) -> None:
    directory(flickr_sim).add_photo(7_001, BEES.nsid)
    directory(flickr_sim).add_photo(7_002, BEES.nsid)

    switches_page(settings, action="tag", photo_id="5100000001", value="no_cv")
    switches_page(settings, action="relicense", photo_id="7001", value="0")
    switches_page(settings, action="private", photo_id="7002")
    switches_page(settings, action="delete_account", nsid=ANA.nsid)
    page = switches_page(settings, action="fault", mode="malformed").text

    assert "photo 5100000001: tagged no_cv" in page
    assert "photo 7001: licence 0" in page
    assert "photo 7002: private" in page
    assert f"account {ANA.nsid}: deleted" in page
    assert flickr_sim.fault_mode == "malformed"
    garbled = requests.get(
        settings.FLICKR_API_URL, params={"method": "flickr.people.getInfo"}, timeout=5
    )
    with pytest.raises(ValueError):
        garbled.json()
    switches_page(settings, action="clear")
    assert flickr_sim.switches.describe() == [] and flickr_sim.fault_mode == ""


def test_the_switches_page_says_what_it_cannot_read(
    flickr_sim: FlickrSimulator, settings: Settings
) -> None:
    page = switches_page(settings, action="tag", photo_id="abc").text
    assert "&#x27;abc&#x27; is not a photo id" in page


def test_while_down_flickr_answers_nothing_but_the_switches_page_still_works(
    flickr_sim: FlickrSimulator, settings: Settings
) -> None:
    flickr_sim.set_fault_mode("down")
    with pytest.raises(requests.ConnectionError):
        requests.get(settings.FLICKR_API_URL, params={"method": "x"}, timeout=5)
    switches_page(settings, action="fault", mode="")
    assert rest(settings, method="flickr.people.getInfo", user_id=BEES.nsid, api_key="x")


def test_switches_kept_in_a_file_are_seen_by_another_process(tmp_path: Path) -> None:
    path = tmp_path / "switches.json"
    Switches(path).tag(1, "no_cv")
    Switches(path).relicense(2, 6)

    other = Switches(path)  # as the simulator's process would read it

    assert other.describe() == ["photo 1: tagged no_cv", "photo 2: licence 6"]
    assert json.loads(path.read_text())["licenses"] == {"2": 6}


@pytest.mark.django_db(transaction=True)
def test_the_world_file_gives_photos_owners_the_photo_table_does_not_know(
    settings: Settings, tmp_path: Path
) -> None:
    # A dataset of links names no owner; only Flickr knows whose the photo is.
    PhotoFactory(flickr_id=880_001, owner_nsid="", owner_name="")
    PhotoFactory(flickr_id=880_002, owner_nsid="55555555@N05", owner_name="table owner")
    world = world_write(
        tmp_path / "world.json",
        photos=[{"id": 880_001, "owner": "55555555@N05", "username": "table owner"}],
        others={"55555555@N05": 3},
    )
    sim = FlickrSimulator(
        api_key="d" * 32, api_secret="s" * 16, directory=PhotoTableDirectory(world)
    )
    running = RunningSimulator(sim).start()
    try:
        settings.FLICKR_API_URL = running.api_url
        listed = rest(
            settings,
            method="flickr.people.getPublicPhotos",
            user_id="55555555@N05",
            api_key="d" * 32,
        )
        info = rest(settings, method="flickr.photos.getInfo", photo_id="880001", api_key="d" * 32)
    finally:
        running.stop()
    ids = {int(p["id"]) for p in listed["photos"]["photo"]}
    assert ids == {880_001, 880_002, *other_photo_ids("55555555@N05", 3)}
    assert info["photo"]["owner"]["nsid"] == "55555555@N05"

"""optout.flickr against the Flickr simulator: the REST look-ups, their failures, the budget."""

import secrets

import pytest
from pytest_django.fixtures import Settings

from devtools.flickr_simulator import FlickrSimulator, unused_port
from optout import flickr
from tests.support.flickr import ANA, BEES

pytestmark = pytest.mark.django_db


# -- user_find ---------------------------------------------------------------------
def test_it_finds_a_user_by_the_custom_name_in_their_profile_url(
    flickr_sim: FlickrSimulator,
) -> None:
    assert flickr.user_find("beesphotos") == flickr.FlickrUser(nsid=BEES.nsid, username="bees")
    assert flickr_sim.rest_calls() == ["flickr.urls.lookupUser"]


def test_it_finds_a_user_by_username_when_the_profile_url_does_not_know_it(
    flickr_sim: FlickrSimulator,
) -> None:
    assert flickr.user_find("bees") == flickr.FlickrUser(nsid=BEES.nsid, username="bees")
    assert flickr_sim.rest_calls() == ["flickr.urls.lookupUser", "flickr.people.findByUsername"]


def test_it_finds_a_username_with_spaces_without_trying_it_as_a_profile_url(
    flickr_sim: FlickrSimulator,
) -> None:
    assert flickr.user_find("  ana lyst ") == flickr.FlickrUser(nsid=ANA.nsid, username="Ana Lyst")
    assert flickr_sim.rest_calls() == ["flickr.people.findByUsername"]


def test_it_finds_a_user_by_the_nsid_in_their_profile_url(flickr_sim: FlickrSimulator) -> None:
    assert flickr.user_find(ANA.nsid) == flickr.FlickrUser(nsid=ANA.nsid, username="Ana Lyst")


def test_it_says_which_username_flickr_does_not_know(flickr_sim: FlickrSimulator) -> None:
    with pytest.raises(flickr.FlickrNotFound, match="Flickr has no account called “nobody-here”"):
        flickr.user_find("nobody-here")


def test_it_asks_for_a_username_when_given_nothing(flickr_sim: FlickrSimulator) -> None:
    with pytest.raises(flickr.FlickrNotFound, match="Please give a Flickr username"):
        flickr.user_find("   ")
    assert flickr_sim.rest_calls() == []


def test_it_says_it_cannot_look_up_usernames_without_an_api_key(
    flickr_sim: FlickrSimulator, settings: Settings
) -> None:
    settings.FLICKR_API_KEY = ""
    with pytest.raises(flickr.FlickrNotConfigured, match="no Flickr API key"):
        flickr.user_find("bees")
    assert flickr_sim.rest_calls() == []


# -- photo_owner -------------------------------------------------------------------
def test_it_remembers_what_flickr_said_about_a_name_whatever_its_case(
    flickr_sim: FlickrSimulator,
) -> None:
    assert flickr.user_find("bees").nsid == BEES.nsid
    asked = len(flickr_sim.rest_calls())
    assert flickr.user_find("BEES ") == flickr.FlickrUser(nsid=BEES.nsid, username="bees")
    assert len(flickr_sim.rest_calls()) == asked


def test_it_remembers_a_name_flickr_does_not_know(flickr_sim: FlickrSimulator) -> None:
    for typed in ("nobody-here", "Nobody-Here"):
        with pytest.raises(flickr.FlickrNotFound, match=f"no account called “{typed}”"):
            flickr.user_find(typed)
    assert flickr_sim.rest_calls() == ["flickr.urls.lookupUser", "flickr.people.findByUsername"]


def test_it_asks_again_after_flickr_could_not_answer(flickr_sim: FlickrSimulator) -> None:
    flickr_sim.fail_next("unavailable")
    with pytest.raises(flickr.FlickrUnavailable):
        flickr.user_find("ana lyst")
    assert flickr.user_find("ana lyst").nsid == ANA.nsid


def test_with_no_name_cache_time_it_asks_flickr_every_time(
    flickr_sim: FlickrSimulator, settings: Settings
) -> None:
    settings.FLICKR_NAME_CACHE_SECONDS = 0
    flickr.user_find("ana lyst")
    flickr.user_find("ana lyst")
    assert flickr_sim.rest_calls() == ["flickr.people.findByUsername"] * 2


def test_names_are_remembered_for_a_day_by_default(settings: Settings) -> None:
    assert settings.FLICKR_NAME_CACHE_SECONDS == 86400


def test_it_tells_who_owns_a_photo(flickr_sim: FlickrSimulator) -> None:
    assert flickr.photo_owner("5100000001") == flickr.FlickrPhoto(
        id=5_100_000_001, owner_nsid=BEES.nsid, owner_username="bees", title="Hive at dawn"
    )


def test_it_says_a_missing_photo_may_be_private_or_deleted(flickr_sim: FlickrSimulator) -> None:
    with pytest.raises(flickr.FlickrNotFound, match="no public photo 999; it may be private"):
        flickr.photo_owner(999)


def test_it_refuses_a_photo_id_that_is_not_a_number_without_asking_flickr(
    flickr_sim: FlickrSimulator,
) -> None:
    with pytest.raises(flickr.FlickrNotFound, match="is not a Flickr photo id"):
        flickr.photo_owner("12ab")
    with pytest.raises(flickr.FlickrNotFound, match="is not a Flickr photo id"):
        flickr.photo_owner("12²")
    assert flickr_sim.rest_calls() == []


# -- failures ----------------------------------------------------------------------
def test_it_reports_a_refused_api_key_as_our_problem(
    flickr_sim: FlickrSimulator, settings: Settings
) -> None:
    settings.FLICKR_API_KEY = secrets.token_hex(16)
    with pytest.raises(flickr.FlickrRefused, match="a problem on our side, not yours"):
        flickr.photo_owner(5_100_000_001)


def test_it_reports_flickr_saying_it_is_unavailable(flickr_sim: FlickrSimulator) -> None:
    flickr_sim.fail_next("unavailable")
    with pytest.raises(flickr.FlickrUnavailable, match="service is unavailable right now"):
        flickr.photo_owner(5_100_000_001)


def test_it_reports_a_server_error_as_flickr_having_trouble(flickr_sim: FlickrSimulator) -> None:
    flickr_sim.fail_next("500")
    with pytest.raises(flickr.FlickrUnavailable, match=r"trouble right now .*error 500"):
        flickr.user_find("bees")


def test_it_gives_up_on_a_slow_flickr_after_the_timeout(
    flickr_sim: FlickrSimulator, settings: Settings
) -> None:
    settings.FLICKR_TIMEOUT = 0.2
    flickr_sim.fail_next("timeout")
    with pytest.raises(flickr.FlickrUnavailable, match=r"did not answer within 0\.2 seconds"):
        flickr.photo_owner(5_100_000_001)


def test_it_gives_up_on_a_flickr_that_is_slower_than_the_timeout(
    flickr_sim: FlickrSimulator, settings: Settings
) -> None:
    settings.FLICKR_TIMEOUT = 0.2
    flickr_sim.slow_seconds = 5
    with pytest.raises(flickr.FlickrUnavailable, match=r"did not answer within 0\.2 seconds"):
        flickr.user_find("Ana Lyst")


def test_it_answers_when_flickr_is_slow_but_within_the_timeout(
    flickr_sim: FlickrSimulator,
) -> None:
    flickr_sim.slow_seconds = 0.1
    assert flickr.photo_owner(5_100_000_001).owner_nsid == BEES.nsid


def test_it_reports_flickr_down_when_nothing_answers(settings: Settings) -> None:
    settings.FLICKR_API_KEY = secrets.token_hex(16)
    settings.FLICKR_API_URL = f"http://127.0.0.1:{unused_port()}/services/rest"
    with pytest.raises(flickr.FlickrUnavailable, match="could not reach Flickr"):
        flickr.user_find("bees")


def test_it_reports_an_answer_it_cannot_read(
    flickr_sim: FlickrSimulator, settings: Settings
) -> None:
    # The OAuth endpoint answers in form encoding, not JSON: a stand-in for a garbled answer.
    settings.FLICKR_API_URL = settings.FLICKR_OAUTH_URL + "/request_token"
    with pytest.raises(flickr.FlickrUnavailable, match="could not understand"):
        flickr.photo_owner(5_100_000_001)


# -- the hourly budget -------------------------------------------------------------
def test_it_stops_calling_flickr_once_the_hourly_budget_is_spent(
    flickr_sim: FlickrSimulator, settings: Settings
) -> None:
    settings.FLICKR_CALLS_PER_HOUR = 2
    settings.FLICKR_SIGNIN_RESERVED_CALLS_PER_HOUR = 0
    flickr.photo_owner(5_100_000_001)
    flickr.photo_owner(5_100_000_002)
    with pytest.raises(flickr.FlickrUnavailable, match=r"busy .* try again in \d+ minute") as err:
        flickr.photo_owner(5_100_000_001)
    assert err.value.retry_after is not None and 0 < err.value.retry_after <= 3600
    assert len(flickr_sim.rest_calls()) == 2


def test_the_budget_is_per_api_key(flickr_sim: FlickrSimulator, settings: Settings) -> None:
    settings.FLICKR_CALLS_PER_HOUR = 1
    settings.FLICKR_SIGNIN_RESERVED_CALLS_PER_HOUR = 0
    flickr.photo_owner(5_100_000_001)
    # Random: a counter in Redis outlives the test run by up to an hour.
    flickr_sim.api_key = settings.FLICKR_API_KEY = secrets.token_hex(16)
    assert flickr.photo_owner(5_100_000_001).owner_nsid == BEES.nsid


def test_it_backs_off_for_every_caller_when_flickr_rate_limits_the_key(
    flickr_sim: FlickrSimulator,
) -> None:
    flickr_sim.fail_next("ratelimit")
    with pytest.raises(flickr.FlickrUnavailable, match="try again in 2 minutes"):
        flickr.photo_owner(5_100_000_001)
    # Flickr would answer now, but the key is resting until Retry-After has passed.
    with pytest.raises(flickr.FlickrUnavailable, match="busy"):
        flickr.user_find("bees")
    assert len(flickr_sim.rest_calls()) == 1


def test_it_still_answers_when_the_cache_holding_the_budget_is_down(
    flickr_sim: FlickrSimulator, settings: Settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{unused_port()}/0",
        }
    }
    assert flickr.photo_owner(5_100_000_001).owner_nsid == BEES.nsid
    assert "budget not counted: the cache is unavailable" in caplog.text

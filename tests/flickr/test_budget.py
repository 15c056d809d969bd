"""The hourly Flickr budget split by purpose (optout/flickr/limits.py): sign-in keeps a
reserve no one else may spend, look-ups and re-checks each stop at their own cap, and
together they never pass FLICKR_CALLS_PER_HOUR."""

import pytest
from django.test import Client
from pytest_django.fixtures import Settings

from devtools.flickr_simulator import FlickrSimulator
from optout import flickr
from optout.flickr import Purpose
from optout.flickr.limits import SHARES
from tests.support.flickr import BEES, sign_in

pytestmark = pytest.mark.django_db


def shares(settings: Settings, *, total: int, signin: int, lookup: int, recheck: int) -> None:
    settings.FLICKR_CALLS_PER_HOUR = total
    settings.FLICKR_SIGNIN_RESERVED_CALLS_PER_HOUR = signin
    settings.FLICKR_LOOKUP_CALLS_PER_HOUR = lookup
    settings.FLICKR_RECHECK_CALLS_PER_HOUR = recheck


def test_every_purpose_has_its_share_declared_in_one_place() -> None:
    assert set(SHARES) == set(Purpose)
    assert SHARES[Purpose.SIGNIN].reserve == "FLICKR_SIGNIN_RESERVED_CALLS_PER_HOUR"
    assert SHARES[Purpose.LOOKUP].cap == "FLICKR_LOOKUP_CALLS_PER_HOUR"
    assert SHARES[Purpose.RECHECK].cap == "FLICKR_RECHECK_CALLS_PER_HOUR"


def test_the_default_shares_add_up_to_the_hourly_budget(settings: Settings) -> None:
    assert settings.FLICKR_CALLS_PER_HOUR == 3000
    assert settings.FLICKR_SIGNIN_RESERVED_CALLS_PER_HOUR == 600
    assert settings.FLICKR_LOOKUP_CALLS_PER_HOUR == 400
    assert settings.FLICKR_RECHECK_CALLS_PER_HOUR == 2000


def test_look_ups_stop_at_their_own_share_and_say_so(
    flickr_sim: FlickrSimulator, settings: Settings
) -> None:
    shares(settings, total=3000, signin=600, lookup=2, recheck=2000)
    flickr.photo_owner(5_100_000_001)
    flickr.photo_owner(5_100_000_002)
    with pytest.raises(flickr.FlickrUnavailable, match="share of Flickr look-ups") as refused:
        flickr.photo_owner(5_100_000_001)
    assert "try again in" in str(refused.value)
    assert refused.value.retry_after is not None and 0 < refused.value.retry_after <= 3600
    assert len(flickr_sim.rest_calls()) == 2


def test_look_ups_cannot_spend_the_calls_kept_for_sign_in(
    client: Client, flickr_sim: FlickrSimulator, settings: Settings
) -> None:
    # Five calls an hour, two of them kept for signing in: look-ups get three.
    shares(settings, total=5, signin=2, lookup=100, recheck=100)
    for photo_id in (5_100_000_001, 5_100_000_002, 5_100_000_001):
        flickr.photo_owner(photo_id)
    with pytest.raises(flickr.FlickrUnavailable, match="kept for people signing in"):
        flickr.photo_owner(5_100_000_002)
    # A sign-in is two calls (request token, access token): both come from the reserve.
    _, response = sign_in(client)
    assert response.status_code == 302
    assert client.session["flickr_identity"]["nsid"] == BEES.nsid
    assert len(flickr_sim.rest_calls()) == 3


def test_sign_in_may_use_what_the_others_leave(
    flickr_sim: FlickrSimulator, settings: Settings
) -> None:
    shares(settings, total=4, signin=1, lookup=100, recheck=100)
    for _ in range(4):
        flickr.budget_spend(Purpose.SIGNIN)
    with pytest.raises(flickr.FlickrUnavailable, match="busy"):
        flickr.budget_spend(Purpose.SIGNIN)


def test_what_sign_in_spent_beyond_its_reserve_is_gone_for_the_others(
    flickr_sim: FlickrSimulator, settings: Settings
) -> None:
    shares(settings, total=4, signin=1, lookup=100, recheck=100)
    for _ in range(3):
        flickr.budget_spend(Purpose.SIGNIN)
    flickr.budget_spend(Purpose.LOOKUP)
    with pytest.raises(flickr.FlickrUnavailable):
        flickr.budget_spend(Purpose.LOOKUP)


def test_the_shares_together_never_pass_the_hourly_budget(
    flickr_sim: FlickrSimulator, settings: Settings
) -> None:
    # Caps that add up to more than the budget: the budget still wins.
    shares(settings, total=4, signin=0, lookup=3, recheck=3)
    for _ in range(3):
        flickr.budget_spend(Purpose.LOOKUP)
    flickr.budget_spend(Purpose.RECHECK)
    with pytest.raises(flickr.FlickrUnavailable, match="busy"):
        flickr.budget_spend(Purpose.RECHECK)
    with pytest.raises(flickr.FlickrUnavailable, match="busy"):
        flickr.budget_spend(Purpose.SIGNIN)


def test_a_refused_call_does_not_count_against_the_budget(
    flickr_sim: FlickrSimulator, settings: Settings
) -> None:
    shares(settings, total=3, signin=1, lookup=1, recheck=100)
    flickr.budget_spend(Purpose.LOOKUP)
    for _ in range(5):
        with pytest.raises(flickr.FlickrUnavailable):
            flickr.budget_spend(Purpose.LOOKUP)
    flickr.budget_spend(Purpose.RECHECK)
    flickr.budget_spend(Purpose.SIGNIN)

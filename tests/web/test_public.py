"""The public look-up as a person (or a script) meets it: /?q=…"""

import re
import secrets
from html import unescape

import pytest
from django.http import HttpRequest, HttpResponse
from django.test import Client
from django.urls import path, reverse
from pytest_django.fixtures import DjangoAssertNumQueries, Settings

from config import urls as optout_urls
from devtools.flickr_simulator import FlickrSimulator
from optout.lookup import base58_encode
from optout.models import Dataset, Photo
from tests.support.factories import DatasetFactory, PhotoFactory, removed_photo
from tests.support.flickr import BEES, sign_in
from tests.support.responses import ClientResponse

pytestmark = pytest.mark.django_db

NSID = "12345678@N01"


def _signin_stub(request: HttpRequest) -> HttpResponse:
    return HttpResponse("signing in")


# Two URLconfs, so the sign-in button is tested both before and after the
# Flickr sign-in view lands in config/urls.py.
without_signin = [p for p in optout_urls.urlpatterns if getattr(p, "name", "") != "flickr_signin"]
with_signin = [*without_signin, path("signin/flickr", _signin_stub, name="flickr_signin")]


class WithoutSignin:
    urlpatterns = without_signin


class WithSignin:
    urlpatterns = with_signin


@pytest.fixture
def dif() -> Dataset:
    return DatasetFactory(slug="dif", name="Diversity in Faces", release="1.0")


@pytest.fixture
def ffhq() -> Dataset:
    return DatasetFactory(slug="ffhq", name="FFHQ", release="2019")


@pytest.fixture
def owner_photos(dif: Dataset, ffhq: Dataset) -> list[Photo]:
    """jdoe has 3 photos in DiF (one removed) and 1 in FFHQ; someone else has 2 in DiF."""
    mine = {"owner_nsid": NSID, "owner_name": "JDoe"}
    photos = [
        PhotoFactory(dataset=dif, flickr_id=5123456781, title="Grandma at the lake", **mine),
        PhotoFactory(dataset=dif, flickr_id=5123456782, title="Birthday", **mine),
        removed_photo(dataset=dif, flickr_id=5123456783, owner_nsid=NSID),
        PhotoFactory(dataset=ffhq, flickr_id=5123456781, title="Grandma at the lake", **mine),
    ]
    PhotoFactory.create_batch(2, dataset=dif, owner_nsid="99999999@N02", owner_name="someone")
    return photos


def random_ip() -> str:
    # Rate-limit counters outlive a test (Redis in CI): each test comes from its own address.
    return "10." + ".".join(str(secrets.randbelow(250) + 1) for _ in range(3))


def _text(response: ClientResponse) -> str:
    """The page as a person reads it: tags gone, whitespace collapsed."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def test_the_home_page_asks_the_question_and_lists_the_datasets(
    client: Client, dif: Dataset
) -> None:
    response = client.get("/")
    assert response.status_code == 200
    text = _text(response)
    assert "Are your Flickr photos in a face-recognition dataset?" in text
    assert "Diversity in Faces · release 1.0" in text
    assert '<label for="q">' in response.content.decode()


def test_it_counts_an_owners_photos_per_dataset(client: Client, owner_photos: list) -> None:
    response = client.get("/", {"q": NSID})
    assert response.status_code == 200
    text = _text(response)
    assert (
        "2 of your photos are in Diversity in Faces (release 1.0); 1 more has already been "
        "removed." in text
    )
    assert "1 of your photos is in FFHQ (release 2019)." in text


def test_it_finds_an_owner_by_username_whatever_the_case(
    client: Client, owner_photos: list
) -> None:
    response = client.get("/", {"q": "jdoe"})
    assert response.status_code == 200
    text = _text(response)
    assert f"The Flickr account “jdoe” ({NSID})" in text
    assert "2 of your photos are in Diversity in Faces (release 1.0)" in text


def test_it_finds_an_owner_by_profile_link(client: Client, owner_photos: list) -> None:
    for link in (f"https://www.flickr.com/photos/{NSID}/albums", "flickr.com/people/JDOE/"):
        response = client.get("/", {"q": link})
        assert response.status_code == 200, link
        assert "2 of your photos are in Diversity in Faces" in _text(response)


@pytest.mark.parametrize("query", ["", NSID, "https://flic.kr/p/7Afjsu", "https://example.com/"])
def test_the_box_is_described_only_by_what_is_on_the_page(
    client: Client, owner_photos: list, query: str
) -> None:
    html = client.get("/", {"q": query} if query else {}).content.decode()
    described_by = re.search(r'<input[^>]*id="q"[^>]*aria-describedby="([^"]*)"', html)
    for element_id in described_by[1].split() if described_by else []:
        assert f'id="{element_id}"' in html, element_id


def test_it_says_plainly_when_none_of_the_owners_photos_are_in(
    client: Client, owner_photos: list
) -> None:
    response = client.get("/", {"q": "55555555@N05"})
    assert response.status_code == 200
    text = _text(response)
    assert "None of your photos are in the datasets we cover." in text
    assert "We cover Diversity in Faces (release 1.0), FFHQ (release 2019)." in text
    assert "Sign in with Flickr" not in text


def test_removed_photos_do_not_count_as_in(client: Client, dif: Dataset) -> None:
    removed_photo(dataset=dif, owner_nsid=NSID)
    removed_photo(dataset=dif, owner_nsid=NSID)
    text = _text(client.get("/", {"q": NSID}))
    assert "None of your photos are in the datasets we cover." in text
    assert (
        "2 of your photos were in Diversity in Faces (release 1.0) and have been removed." in text
    )


def test_an_anonymous_answer_shows_counts_but_no_titles_thumbnails_or_photo_ids(
    client: Client, owner_photos: list
) -> None:
    html = client.get("/", {"q": "jdoe"}).content.decode()
    assert "Grandma at the lake" not in html
    assert "Birthday" not in html
    assert "staticflickr" not in html.replace(
        "https://live.staticflickr.com/65535/5123456789_abcdef1234_b.jpg", ""
    )
    assert "<img" not in html
    for photo in owner_photos:
        assert str(photo.flickr_id) not in html


def test_it_says_which_datasets_hold_a_linked_photo(client: Client, owner_photos: list) -> None:
    # The photo in both datasets, by its short link.
    response = client.get("/", {"q": "https://flic.kr/p/" + base58_encode(5123456781)})
    assert response.status_code == 200
    text = _text(response)
    assert "Flickr photo 5123456781" in text
    assert "This photo is in Diversity in Faces (release 1.0)." in text
    assert "This photo is in FFHQ (release 2019)." in text
    assert "Grandma at the lake" not in text


def test_it_says_when_a_linked_photo_was_removed(client: Client, owner_photos: list) -> None:
    url = "https://live.staticflickr.com/65535/5123456783_abcdef1234_b.jpg"
    text = _text(client.get("/", {"q": url}))
    assert "This photo was in Diversity in Faces (release 1.0) and has been removed." in text
    assert "This photo is in" not in text
    assert "Sign in with Flickr" not in text


def test_a_photo_in_no_dataset_is_just_not_in_any(client: Client, owner_photos: list) -> None:
    response = client.get("/", {"q": "https://www.flickr.com/photos/jdoe/4000000001/"})
    assert response.status_code == 200
    assert "This photo is not in any dataset we cover." in _text(response)


def test_it_answers_in_json_when_asked_by_header(client: Client, owner_photos: list) -> None:
    response = client.get("/", {"q": "jdoe"}, headers={"accept": "application/json"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "Accept" in response["Vary"]
    assert response.json() == {
        "query": "jdoe",
        "kind": "owner",
        "nsid": NSID,
        "username": "jdoe",
        "datasets": [
            {
                "slug": "dif",
                "name": "Diversity in Faces",
                "release": "1.0",
                "count": 2,
                "earlier": 0,
                "removed": 1,
            },
            {
                "slug": "ffhq",
                "name": "FFHQ",
                "release": "2019",
                "count": 1,
                "earlier": 0,
                "removed": 0,
            },
        ],
        "total": 3,
        "earlier": 0,
    }


def test_it_answers_a_photo_in_json_when_asked_by_parameter(
    client: Client, owner_photos: list
) -> None:
    response = client.get("/", {"q": "flickr.com/photo.gne?id=5123456783", "format": "json"})
    assert response.status_code == 200
    assert response.json() == {
        "query": "flickr.com/photo.gne?id=5123456783",
        "kind": "photo",
        "photo_id": 5123456783,
        "datasets": [
            {
                "slug": "dif",
                "name": "Diversity in Faces",
                "release": "1.0",
                "state": "removed",
                "earlier": False,
            },
            {
                "slug": "ffhq",
                "name": "FFHQ",
                "release": "2019",
                "state": "absent",
                "earlier": False,
            },
        ],
        "in_any": False,
    }


def test_a_browser_accept_header_gets_html(client: Client, owner_photos: list) -> None:
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = client.get("/", {"q": NSID}, headers={"accept": accept})
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Enter your Flickr username"),
        ("https://example.com/photos/jdoe/", "That is a link to example.com, not to Flickr"),
        ("x" * 2000, "too long"),
        ("jdoe\x00\x07", "control character"),
        ("https://www.flickr.com/explore/", "does not name a person or a photo"),
    ],
)
def test_it_rejects_bad_input_next_to_the_field_with_a_400(
    client: Client, dif: Dataset, query: str, message: str
) -> None:
    response = client.get("/", {"q": query})
    assert response.status_code == 400
    html = response.content.decode()
    assert message in _text(response)
    assert 'aria-describedby="q-error q-examples"' in html
    assert 'aria-invalid="true"' in html
    assert re.search(r'<p id="q-error" class="error" role="alert">[^<]*' + re.escape(message), html)


@pytest.mark.parametrize(
    "query", ["", "https://example.com/", "x" * 2000, "a\x00b", "https://flic.kr/p/0"]
)
def test_it_rejects_bad_input_in_json_with_a_400(client: Client, query: str) -> None:
    response = client.get("/", {"q": query, "format": "json"})
    assert response.status_code == 400
    assert set(response.json()) == {"error"}
    assert response.json()["error"]


def test_it_rejects_an_unknown_format(client: Client) -> None:
    response = client.get("/", {"q": NSID, "format": "xml"})
    assert response.status_code == 400
    assert "Unknown format “xml”: use json or html." in _text(response)


def test_a_json_request_without_a_query_says_what_to_send(client: Client) -> None:
    response = client.get("/", headers={"accept": "application/json"})
    assert response.status_code == 400
    assert "?q=" in response.json()["error"]


def test_an_unknown_username_without_a_flickr_key_says_it_could_not_resolve_it(
    client: Client, settings: Settings, owner_photos: list
) -> None:
    settings.FLICKR_API_KEY = ""
    response = client.get("/", {"q": "nobody-we-know"})
    assert response.status_code == 404
    text = _text(response)
    assert "We could not find the Flickr account “nobody-we-know”" in text
    assert "Paste a link to one of your photos, or your NSID" in text
    json = client.get("/", {"q": "nobody-we-know", "format": "json"})
    assert json.status_code == 404
    assert "could not find the Flickr account" in json.json()["error"]


def test_a_name_two_owners_have_used_asks_for_something_more_precise(
    client: Client, dif: Dataset
) -> None:
    PhotoFactory(dataset=dif, owner_nsid=NSID, owner_name="sam")
    PhotoFactory(dataset=dif, owner_nsid="87654321@N02", owner_name="Sam")
    response = client.get("/", {"q": "SAM"})
    assert response.status_code == 409
    assert "More than one Flickr account has used the name “SAM”" in _text(response)
    assert "Paste a link to one of your photos, or your NSID" in _text(response)


def test_the_answer_offers_sign_in_with_flickr_and_says_what_we_ask_for(
    client: Client, settings: Settings, owner_photos: list
) -> None:
    settings.ROOT_URLCONF = WithSignin
    html = client.get("/", {"q": NSID}).content.decode()
    assert re.search(r'<form method="post" action="/signin/flickr">\s*<input type="hidden"', html)
    assert "Sign in with Flickr to see them and ask for removal" in html
    assert (
        "We ask Flickr for read access, only to confirm the account is yours; nothing is "
        "posted, and no Flickr token is kept." in html
    )


def test_the_answer_still_renders_before_sign_in_exists(
    client: Client, settings: Settings, owner_photos: list
) -> None:
    settings.ROOT_URLCONF = WithoutSignin
    response = client.get("/", {"q": NSID})
    assert response.status_code == 200
    assert "2 of your photos are in Diversity in Faces" in _text(response)


def test_the_look_up_only_reads(client: Client, owner_photos: list) -> None:
    assert client.post("/", {"q": NSID}).status_code == 405


@pytest.mark.parametrize("dataset_count", [1, 12])
@pytest.mark.parametrize(
    ("query", "max_queries"),
    [
        (NSID, 1),  # the datasets, each with the owner's present and removed counts
        # The NSID that name has in the datasets, then the same: removed photos are
        # counted by the keyed hash of the NSID, which SQL cannot compute.
        ("jdoe", 2),
        ("https://www.flickr.com/photos/jdoe/5123456781/", 1),  # the datasets and the photo
    ],
)
def test_the_look_up_costs_the_same_queries_whatever_the_number_of_datasets(
    client: Client,
    django_assert_max_num_queries: DjangoAssertNumQueries,
    dataset_count: int,
    query: str,
    max_queries: int,
) -> None:
    for n in range(dataset_count):
        dataset = DatasetFactory(slug=f"set-{n}")
        PhotoFactory(dataset=dataset, owner_nsid=NSID, owner_name="jdoe", flickr_id=5123456781)
        PhotoFactory(dataset=dataset, owner_nsid=NSID, owner_name="jdoe")
    with django_assert_max_num_queries(max_queries):
        response = client.get("/", {"q": query})
    assert response.status_code == 200
    assert _text(response).count("Dataset ") >= dataset_count


# --- Names the datasets do not know, resolved through the Flickr simulator ---


@pytest.fixture
def flickr(flickr_sim: FlickrSimulator) -> FlickrSimulator:
    """The shared simulator (tests/fixtures_flickr.py), where NSID is the account "bees"."""
    assert BEES.nsid == NSID
    return flickr_sim


def test_a_username_the_datasets_do_not_know_is_resolved_through_flickr(
    client: Client, flickr: FlickrSimulator, owner_photos: list
) -> None:
    # The manifest still has the old username, JDoe; Flickr knows the new one.
    response = client.get("/", {"q": "Bees"})
    assert response.status_code == 200
    text = _text(response)
    assert f"The Flickr account “bees” ({NSID})" in text
    assert "2 of your photos are in Diversity in Faces (release 1.0)" in text


def test_a_profile_link_alias_is_resolved_through_flickr(
    client: Client, flickr: FlickrSimulator, owner_photos: list
) -> None:
    response = client.get("/", {"q": "https://www.flickr.com/photos/beesphotos/", "format": "json"})
    assert response.status_code == 200
    assert response.json()["nsid"] == NSID
    assert response.json()["total"] == 3


def test_a_username_the_datasets_know_needs_no_call_to_flickr(
    client: Client, flickr: FlickrSimulator, owner_photos: list
) -> None:
    assert client.get("/", {"q": "jdoe"}).status_code == 200
    assert flickr.calls == []


def test_a_name_flickr_does_not_know_is_a_404_with_a_message(
    client: Client, flickr: FlickrSimulator, owner_photos: list
) -> None:
    response = client.get("/", {"q": "nobody-at-all"})
    assert response.status_code == 404
    assert "Flickr has no account called “nobody-at-all”. Check the spelling" in _text(response)


def test_flickr_being_down_is_a_503_that_says_what_still_works(
    client: Client, flickr: FlickrSimulator, owner_photos: list
) -> None:
    flickr.fail_next("unavailable", times=2)
    response = client.get("/", {"q": "Bees", "format": "json"})
    assert response.status_code == 503
    assert response["Retry-After"] == "300"
    message = response.json()["error"]
    assert message.startswith("We could not look up “Bees” on Flickr.")
    assert "your NSID (it looks like 12345678@N01) works without Flickr" in message


def test_once_the_look_up_share_is_spent_it_says_so_and_what_still_works(
    client: Client, flickr: FlickrSimulator, owner_photos: list, settings: Settings
) -> None:
    settings.FLICKR_LOOKUP_CALLS_PER_HOUR = 0
    response = client.get("/", {"q": "Bees", "format": "json"})
    assert response.status_code == 503
    assert 0 < int(response["Retry-After"]) <= 3600
    message = response.json()["error"]
    assert message.startswith("We could not look up “Bees” on Flickr.")
    assert "We have used this hour's share of Flickr look-ups" in message
    assert "your NSID (it looks like 12345678@N01) works without Flickr" in message
    assert flickr.calls == []
    # What needs no Flickr still answers.
    assert client.get("/", {"q": NSID}).status_code == 200
    assert (
        client.get("/", {"q": "https://flic.kr/p/" + base58_encode(5123456781)}).status_code == 200
    )


@pytest.mark.usefixtures("whole_window")
def test_a_look_up_that_needs_flickr_costs_more_against_the_rate_limit(
    client: Client, flickr: FlickrSimulator, owner_photos: list, settings: Settings
) -> None:
    settings.RATE_LIMIT_LOOKUP_PER_MINUTE = 6
    settings.RATE_LIMIT_LOOKUP_FLICKR_COST = 5
    ip = random_ip()
    assert client.get("/", {"q": "Bees"}, REMOTE_ADDR=ip).status_code == 200
    assert client.get("/", {"q": NSID}, REMOTE_ADDR=ip).status_code == 200
    assert client.get("/", {"q": NSID}, REMOTE_ADDR=ip).status_code == 429
    # Without Flickr, a look-up costs one.
    elsewhere = random_ip()
    answers = [client.get("/", {"q": NSID}, REMOTE_ADDR=elsewhere) for _ in range(7)]
    assert [a.status_code for a in answers] == [200] * 6 + [429]


@pytest.mark.usefixtures("whole_window")
def test_a_name_flickr_does_not_know_costs_as_much_as_one_it_knows(
    client: Client, flickr: FlickrSimulator, owner_photos: list, settings: Settings
) -> None:
    settings.RATE_LIMIT_LOOKUP_PER_MINUTE = 6
    settings.RATE_LIMIT_LOOKUP_FLICKR_COST = 5
    ip = random_ip()
    assert client.get("/", {"q": "nobody-at-all"}, REMOTE_ADDR=ip).status_code == 404
    assert client.get("/", {"q": NSID}, REMOTE_ADDR=ip).status_code == 200
    assert client.get("/", {"q": NSID}, REMOTE_ADDR=ip).status_code == 429


def test_one_client_looking_up_names_cannot_lock_everyone_out_of_signing_in(
    client: Client, flickr: FlickrSimulator, owner_photos: list, settings: Settings
) -> None:
    settings.FLICKR_CALLS_PER_HOUR = 10
    settings.FLICKR_SIGNIN_RESERVED_CALLS_PER_HOUR = 4
    settings.FLICKR_LOOKUP_CALLS_PER_HOUR = 10
    statuses = [client.get("/", {"q": f"stranger-{n}"}).status_code for n in range(6)]
    assert statuses == [404, 404, 404, 503, 503, 503]
    assert len(flickr.rest_calls()) == 6
    _, signed_in = sign_in(client)
    assert signed_in.status_code == 302
    assert client.session["flickr_identity"]["nsid"] == NSID


def test_the_sign_in_button_posts_to_the_sites_flickr_sign_in(
    client: Client, owner_photos: list
) -> None:
    html = client.get("/", {"q": NSID}).content.decode()
    assert f'<form method="post" action="{reverse("flickr_signin")}">' in html


def test_markup_typed_into_the_box_comes_back_as_text(client: Client, dif: Dataset) -> None:
    typed = '"><script>alert(1)</script>'
    response = client.get("/", {"q": typed})
    html = response.content.decode()
    assert "<script>" not in html
    # In the box, as typed, to be corrected; and quoted in the message under it.
    box = re.search(r'<input type="text" id="q" name="q" value="([^"]*)"', html)
    assert box and unescape(box[1]) == typed
    assert f"“{typed}” is neither a Flickr username nor a link" in unescape(_text(response))


def test_a_username_with_markup_and_quotes_is_shown_as_text(client: Client, dif: Dataset) -> None:
    PhotoFactory(dataset=dif, owner_nsid=NSID, owner_name='Bo & "Co"')
    response = client.get("/", {"q": 'Bo & "Co"'})
    assert response.status_code == 200
    assert 'The Flickr account “Bo & "Co"” (12345678@N01)' in unescape(_text(response))
    assert '"Co"”' not in response.content.decode()

"""What a person can type into the look-up box, and what we make of it."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from optout.lookup import (
    BASE58_ALPHABET,
    OwnerQuery,
    PhotoQuery,
    QueryInvalid,
    base58_decode,
    base58_encode,
    query_parse,
)


@pytest.mark.parametrize(
    ("text", "nsid"),
    [
        ("12345678@N01", "12345678@N01"),
        ("  21207597@N07 ", "21207597@N07"),
        ("21207597@n07", "21207597@N07"),
        ("35034347371@N01", "35034347371@N01"),
    ],
)
def test_it_reads_an_nsid(text: str, nsid: str) -> None:
    assert query_parse(text=text) == OwnerQuery(nsid=nsid)


@pytest.mark.parametrize("name", ["jdoe", "John Doe", "john.doe", "Zoë_K", "1234567"])
def test_it_reads_a_username(name: str) -> None:
    assert query_parse(text=name) == OwnerQuery(name=name)


def test_it_reads_a_username_written_as_a_handle() -> None:
    assert query_parse(text="@jdoe") == OwnerQuery(name="jdoe")


@pytest.mark.parametrize(
    "url",
    [
        "https://www.flickr.com/photos/jdoe/",
        "https://www.flickr.com/photos/jdoe",
        "http://flickr.com/photos/jdoe/",
        "www.flickr.com/photos/jdoe/",
        "flickr.com/photos/jdoe",
        "https://www.flickr.com/photos/jdoe/albums",
        "https://www.flickr.com/photos/jdoe/albums/72157600000000000",
        "https://www.flickr.com/photos/jdoe/favorites/?view=lg",
        "https://www.flickr.com/people/jdoe/",
        "https://m.flickr.com/photos/jdoe/",
        "HTTPS://WWW.FLICKR.COM/photos/jdoe/",
    ],
)
def test_it_reads_a_profile_link_with_a_path_alias(url: str) -> None:
    assert query_parse(text=url) == OwnerQuery(name="jdoe", is_alias=True)


@pytest.mark.parametrize(
    "url",
    [
        "https://www.flickr.com/photos/12345678@N01/",
        "https://www.flickr.com/photos/12345678%40N01/",
        "https://www.flickr.com/people/12345678@N01/",
        "flickr.com/photos/12345678@N01/albums",
    ],
)
def test_it_reads_a_profile_link_with_an_nsid(url: str) -> None:
    assert query_parse(text=url) == OwnerQuery(nsid="12345678@N01")


@pytest.mark.parametrize(
    "url",
    [
        "https://www.flickr.com/photos/jdoe/5123456789/",
        "https://www.flickr.com/photos/jdoe/5123456789",
        "https://www.flickr.com/photos/jdoe/5123456789/in/photostream/",
        "https://www.flickr.com/photos/12345678@N01/5123456789/in/album-72157600000000000/",
        "http://www.flickr.com/photos/jdoe/5123456789/?utm_source=mail#comments",
        "www.flickr.com/photos/jdoe/5123456789/sizes/l/",
        "https://www.flickr.com/photo.gne?id=5123456789",
        "https://live.staticflickr.com/65535/5123456789_abcdef1234_b.jpg",
        "https://live.staticflickr.com/65535/5123456789_abcdef1234.jpg",
        "http://farm4.staticflickr.com/3456/5123456789_abcdef1234_z.jpg",
        "http://farm6.static.flickr.com/5123/5123456789_abcdef1234_o.png",
        "https://c1.staticflickr.com/1/123/5123456789_abcdef1234_n.jpg",
        "live.staticflickr.com/65535/5123456789_abcdef1234_b.jpg",
    ],
)
def test_it_reads_a_link_to_one_photo(url: str) -> None:
    assert query_parse(text=url) == PhotoQuery(photo_id=5123456789)


@pytest.mark.parametrize(
    ("url", "photo_id"),
    [
        # Pairs from python-flickrapi's shorturl doctests and Flickr's API group thread.
        ("https://flic.kr/p/7Afjsu", 4325695128),
        ("http://flic.kr/p/nh", 1234),
        ("flic.kr/p/7Afjsu", 4325695128),
        ("https://flic.kr/p/7Afjsu/", 4325695128),
    ],
)
def test_it_decodes_a_flic_kr_short_link(url: str, photo_id: int) -> None:
    assert query_parse(text=url) == PhotoQuery(photo_id=photo_id)


def test_base58_is_flickrs_alphabet_not_bitcoins() -> None:
    assert base58_encode(4325695128) == "7Afjsu"
    assert base58_decode("7Afjsu") == 4325695128
    assert base58_encode(57) == "Z"
    assert base58_encode(58) == "21"
    assert "0" not in BASE58_ALPHABET and "l" not in BASE58_ALPHABET


@given(st.integers(min_value=1, max_value=2**63 - 1))
def test_base58_decodes_what_it_encodes(photo_id: int) -> None:
    assert base58_decode(base58_encode(photo_id)) == photo_id


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Enter your Flickr username"),
        ("   ", "Enter your Flickr username"),
        ("x" * 2000, "too long to be a Flickr username or link (2,000 characters"),
        ("jdoe\x00", "control character"),
        ("jdoe\nmary", "control character"),
        ("jdoe\tmary", "control character"),
        ("https://example.com/photos/jdoe/", "That is a link to example.com, not to Flickr"),
        ("www.instagram.com/jdoe", "That is a link to www.instagram.com, not to Flickr"),
        ("https://www.flickr.com/", "does not name a person or a photo"),
        ("flickr.com", "does not name a person or a photo"),
        ("https://www.flickr.com/explore", "does not name a person or a photo"),
        ("https://www.flickr.com/photos/", "does not name a person or a photo"),
        ("https://www.flickr.com/photos/tags/portrait/", "does not name a person or a photo"),
        ("https://www.flickr.com/groups/portraits/", "does not name a person or a photo"),
        ("https://www.flickr.com/photo.gne?id=abc", "does not name a person or a photo"),
        ("https://www.flickr.com/photos/me/", "only work while you are signed in to Flickr"),
        ("https://flic.kr/ps/2kQq1Vb", "does not point to a photo"),
        ("https://flic.kr/p/0OIl", "not a flic.kr short link code"),
        ("https://live.staticflickr.com/65535/avatar.jpg", "image link is not one we can read"),
        ("https://live.staticflickr.com/", "image link is not one we can read"),
        ("ftp://flickr.com/photos/jdoe/", "Only web links"),
        ("https://[::1/photos/jdoe", "does not look like a link"),
        ("https://www.flickr.com/photos/jdoe/99999999999999999999999/", "too large"),
        ("jdoe/photos", "neither a Flickr username nor a link"),
        ("y" * 101, "too long to be a Flickr username (at most 100"),
    ],
)
def test_it_rejects_what_names_no_owner_or_photo_with_a_message(text: str, message: str) -> None:
    with pytest.raises(QueryInvalid) as error:
        query_parse(text=text)
    assert message in error.value.message
    assert error.value.status == 400


@given(st.text(max_size=600))
def test_it_answers_any_text_with_a_query_or_a_clear_message(text: str) -> None:
    try:
        query = query_parse(text=text)
    except QueryInvalid as error:
        assert error.message.endswith((".", ")"))
    else:
        assert isinstance(query, OwnerQuery | PhotoQuery)

"""What a security review of issue 17 found holding up, kept true by tests
(docs/security.md, "What held up"): forged photo ids, CSRF on every form, SQL
metacharacters, markup in a report, the parser's input cap, and error pages with
DEBUG off.
"""

import pytest
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.test import Client, override_settings
from django.urls import URLPattern, get_resolver, path, reverse

from config import urls as optout_urls
from devtools.flickr_simulator import FlickrSimulator
from optout import lookup
from optout.admin.group import maintainers_group_ensure
from optout.models import Photo, RemovalRequest
from tests.support.factories import DatasetFactory, PhotoFactory
from tests.support.flickr import ANA, BEES, sign_in

pytestmark = pytest.mark.django_db
# Views that take a POST without Django's CSRF check, and why that is safe:
# the APIs and the provider's webhook carry no cookie-based session to ride on,
# and /picture/ checks the token itself once the upload is read into memory.
CSRF_EXEMPT = {
    "api_check",
    "api_spawning_urls",
    "api_picture",
    "licensee_feed",
    "licensee_acknowledgements",
    "picture",
    # The footer's language switcher: a forged post can only change a visitor's language.
    "set_language",
}


def test_a_forged_photo_id_in_your_photos_files_nothing(
    client: Client, flickr_sim: FlickrSimulator
) -> None:
    dif = DatasetFactory(slug="dif")
    mine = PhotoFactory(dataset=dif, owner_nsid=BEES.nsid)
    theirs = PhotoFactory(dataset=dif, owner_nsid=ANA.nsid)
    _, signed_in = sign_in(client, as_user=BEES.nsid)
    assert signed_in.status_code == 302
    form = {"scope": "selected", "photo": [mine.pk, theirs.pk], "email": "bea@example.org"}
    response = client.post(reverse("my_photos"), {**form, "action": "file"})
    assert f"Select a valid choice. {theirs.pk} is not one of the available choices" in (
        response.content.decode()
    )
    assert not RemovalRequest.objects.exists()
    assert Photo.objects.get(pk=theirs.pk).state == Photo.State.PRESENT


def _top_level_views() -> list[URLPattern]:
    return [p for p in get_resolver().url_patterns if isinstance(p, URLPattern) and p.name]


def test_every_form_refuses_a_post_without_the_csrf_token() -> None:
    client = Client(enforce_csrf_checks=True)
    samples = {"token": "a-guessed-token", "slug": "dif", "fmt": "csv"}
    checked = []
    for pattern in _top_level_views():
        if getattr(pattern.callback, "csrf_exempt", False):
            assert pattern.name in CSRF_EXEMPT, f"{pattern.name} takes posts without CSRF"
            continue
        kwargs = {name: samples[name] for name in pattern.pattern.converters}
        url = reverse(pattern.name, kwargs=kwargs)
        assert client.post(url).status_code == 403, url
        checked.append(pattern.name)
    assert {"my_photos", "report", "email_confirm", "request_cancel", "flickr_signin"} <= set(
        checked
    )
    assert client.post(reverse("admin:login")).status_code == 403


@pytest.mark.parametrize(
    "typed", ["' OR '1'='1", "bees'; DROP TABLE optout_photo; --", "%", "_ee_", 'b" OR 1=1']
)
def test_sql_metacharacters_in_the_look_up_are_just_text(client: Client, typed: str) -> None:
    PhotoFactory(owner_nsid=BEES.nsid, owner_name="bees")
    response = client.get("/", {"q": typed, "format": "json"})
    assert response.status_code in (400, 404), response.content
    assert Photo.objects.count() == 1


def test_quotes_in_the_admin_search_and_filters_are_just_text(client: Client) -> None:
    user = User.objects.create_user("mia@example.org", "mia@example.org", "pw", is_staff=True)
    user.groups.add(maintainers_group_ensure())
    client.force_login(user)
    changelist = reverse("admin:optout_removalrequest_changelist")
    for query in ({"q": "' OR 1=1 --"}, {"q": '"'}, {"state": "'; --"}, {"dataset": "1 OR 1=1"}):
        response = client.get(changelist, query)
        # Django answers a filter value it does not know by sending back to ?e=1.
        assert response.status_code in (200, 302), query


def test_markup_in_a_report_reaches_the_maintainer_as_text(client: Client) -> None:
    PhotoFactory(flickr_id=8_100)
    markup = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    filed = client.post(
        reverse("report"),
        {
            "email": "sam@example.org",
            "links": "https://www.flickr.com/photos/someone/8100/",
            "relation": markup,
            "statement": markup,
            "contact": markup,
        },
    )
    assert filed.status_code == 200
    assert "<script>" not in filed.content.decode()
    removal = RemovalRequest.objects.get()
    user = User.objects.create_user("mia@example.org", "mia@example.org", "pw", is_staff=True)
    user.groups.add(maintainers_group_ensure())
    client.force_login(user)
    page = client.get(
        reverse("admin:optout_removalrequest_change", args=[removal.pk])
    ).content.decode()
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "<script>alert" not in page and "<img src=x" not in page


def test_the_look_up_parser_cuts_any_input_at_its_length_cap_before_reading_it() -> None:
    # No regular expression sees more than MAX_QUERY_LENGTH characters (no ReDoS).
    with pytest.raises(lookup.QueryInvalid, match="too long"):
        lookup.query_parse(text="https://www.flickr.com/photos/" + "a/" * 500_000)


def _boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a secret-looking internal detail")


class Boom:
    urlpatterns = [*optout_urls.urlpatterns, path("boom/", _boom)]


@override_settings(ROOT_URLCONF=Boom)
def test_error_pages_with_debug_off_show_no_internals() -> None:
    client = Client(raise_request_exception=False)
    for url, status in (("/no-such-page/", 404), ("/boom/", 500)):
        response = client.get(url)
        assert response.status_code == status
        page = response.content.decode()
        for leak in ("Traceback", "secret-looking", "URLconf", "DEBUG = True", "settings"):
            assert leak not in page, (url, leak)
        assert response["X-Content-Type-Options"] == "nosniff"
        assert "Content-Security-Policy" in response

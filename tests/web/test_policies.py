"""Our own pages are not training data, and browsers get a tight policy (optout/web/policies.py)."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from optout.web.policies import AI_CRAWLERS

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "path", ["/", "/?q=bees", "/report/", "/r/not-a-token/", "/robots.txt", "/no-such-page/"]
)
def test_every_answer_reserves_ai_training_whatever_its_status(client: Client, path: str) -> None:
    response = client.get(path)
    assert response["X-Robots-Tag"] == "noai, noimageai"
    assert response["tdm-reservation"] == "1"
    assert response["tdm-policy"] == "http://testserver/.well-known/tdm-policy.json"
    assert response["Content-Usage"] == "train-ai=n"


def test_the_content_usage_header_is_an_aipref_dictionary_that_refuses_only_training(
    client: Client,
) -> None:
    # draft-ietf-aipref-vocab: a Structured Fields dictionary (RFC 9651) whose keys are
    # category labels and whose values are the tokens y or n; unknown labels are ignored.
    members = [member.strip() for member in client.get("/")["Content-Usage"].split(",")]
    preferences = dict(member.split("=", 1) for member in members)
    assert all(re.fullmatch(r"[a-z*][a-z0-9_.*-]*", key) for key in preferences)
    assert preferences == {"train-ai": "n"}


def test_the_tdmrep_file_reserves_mining_for_the_whole_site(client: Client) -> None:
    response = client.get("/.well-known/tdmrep.json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == [
        {
            "location": "/",
            "tdm-reservation": 1,
            "tdm-policy": "http://testserver/.well-known/tdm-policy.json",
        }
    ]
    policy = client.get("/.well-known/tdm-policy.json").json()
    assert policy["profile"] == "http://www.w3.org/ns/tdmrep"
    assert policy["uid"] == "http://testserver/.well-known/tdm-policy.json"
    assert policy["prohibition"] == [{"target": "http://testserver/", "action": "tdm:mine"}]


def test_robots_txt_turns_ai_crawlers_away_and_keeps_others_off_private_pages(
    client: Client,
) -> None:
    response = client.get("/robots.txt")
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    groups = [group.splitlines() for group in response.content.decode().split("\n\n") if group]
    ai, everyone = groups
    for bot in ("GPTBot", "ChatGPT-User", "CCBot", "Google-Extended", "ClaudeBot"):
        assert f"User-agent: {bot}" in ai
    for bot in ("anthropic-ai", "PerplexityBot", "Bytespider", "Applebot-Extended"):
        assert f"User-agent: {bot}" in ai
    assert "User-agent: meta-externalagent" in ai
    assert ai[-1] == "Disallow: /"
    assert everyone[0] == "User-agent: *"
    for private in ("/r/", "/confirm/", "/me/", "/admin/", "/api/"):
        assert f"Disallow: {private}" in everyone
    assert "Disallow: /" not in everyone
    # draft-ietf-aipref-attach-05's robots.txt rule: no path, so it covers every crawlable path.
    assert "Content-Usage: train-ai=n" in everyone
    assert len(AI_CRAWLERS) == len(set(AI_CRAWLERS))


def test_pages_carry_an_enforced_policy_with_no_inline_script(client: Client) -> None:
    response = client.get(reverse("home"))
    policy = dict(
        directive.strip().split(" ", 1)
        for directive in response["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'self'"
    assert policy["script-src"].startswith("'self'")
    assert "unsafe-inline" not in policy["script-src"]
    assert "unsafe-inline" not in policy["style-src"]
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["base-uri"] == "'none'"
    assert "https://live.staticflickr.com" in policy["img-src"].split()
    assert "https://www.flickr.com" in policy["form-action"].split()
    assert "Content-Security-Policy-Report-Only" not in response


def test_pages_carry_the_usual_browser_headers(client: Client) -> None:
    response = client.get(reverse("home"))
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert "camera=()" in response["Permissions-Policy"]
    assert "geolocation=()" in response["Permissions-Policy"]


def test_inline_style_blocks_in_the_admin_carry_the_nonce(client: Client) -> None:

    User.objects.create_superuser("root@example.org", "root@example.org", "pw-123-root")
    client.force_login(User.objects.get())
    for path in ("/admin/", "/admin/optout/removalrequest/"):
        response = client.get(path)
        assert response.status_code == 200
        nonce = response["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
        page = response.content.decode()
        assert page.count("<style") == page.count(f'<style nonce="{nonce}"'), path


def production_env(**overrides: str) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "OWNER_KEY_SECRET": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "optout.example.org",
        "SECURE_SSL_REDIRECT": "true",
        "SECURE_HSTS_SECONDS": "31536000",
        "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
        "SECURE_HSTS_PRELOAD": "true",
        "ANYMAIL_ESP": "postmark",
        "ANYMAIL_POSTMARK_SERVER_TOKEN": "deploy-check-token",
        "ANYMAIL_WEBHOOK_SECRET": f"postmark:{secrets.token_urlsafe(24)}",
        "FLICKR_API_KEY": "deploy-check-key",
        "FLICKR_API_SECRET": "deploy-check-secret",
        "VAR_DIR": str(Path(os.environ["VAR_DIR"]) / "deploy-check"),
    }
    return {**env, **overrides}


def check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_with_a_production_environment() -> None:
    done = check_deploy(production_env())
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout


def test_check_deploy_names_what_a_careless_production_environment_misses() -> None:
    done = check_deploy(production_env(SECRET_KEY="short", SECURE_SSL_REDIRECT="false"))
    assert done.returncode != 0
    assert "security.W009" in done.stderr
    assert "security.W008" in done.stderr


def test_production_without_the_owner_key_secret_stops_naming_it() -> None:
    env = production_env()
    del env["OWNER_KEY_SECRET"]
    done = check_deploy(env)
    assert done.returncode != 0
    assert "The environment variable OWNER_KEY_SECRET is not set" in done.stderr


def test_production_without_the_webhook_secret_stops_naming_it() -> None:
    # Without it, /anymail/<esp>/tracking/ would take delivery news from anyone.
    env = production_env()
    del env["ANYMAIL_WEBHOOK_SECRET"]
    done = check_deploy(env)
    assert done.returncode != 0
    assert "The environment variable ANYMAIL_WEBHOOK_SECRET is not set" in done.stderr


def test_production_without_an_email_provider_stops_naming_it() -> None:
    # The console mailer would print every status link and confirmation to a log.
    env = production_env()
    del env["ANYMAIL_ESP"]
    done = check_deploy(env)
    assert done.returncode != 0
    assert "The environment variable ANYMAIL_ESP is not set" in done.stderr


def test_a_local_run_needs_neither() -> None:
    env = production_env(DEBUG="true")
    del env["ANYMAIL_ESP"], env["ANYMAIL_WEBHOOK_SECRET"]
    done = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr


def test_a_sign_in_reserve_bigger_than_the_hourly_budget_stops_naming_both() -> None:
    env = production_env(FLICKR_CALLS_PER_HOUR="500", FLICKR_SIGNIN_RESERVED_CALLS_PER_HOUR="600")
    done = check_deploy(env)
    assert done.returncode != 0
    assert "FLICKR_SIGNIN_RESERVED_CALLS_PER_HOUR (600) is more than FLICKR_CALLS_PER_HOUR" in (
        done.stderr
    )


def test_the_favicon_every_browser_asks_for_is_there(client: Client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<svg")
    assert response["X-Robots-Tag"] == "noai, noimageai"

"""Registering licensees from the shell: `createlicensee` prints the API token and the
webhook signing secret once and keeps only a hash of the token; `licensee` rotates,
revokes and resumes, as the admin's actions do."""

import io
import re
from datetime import UTC, datetime

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from optout.licensees import registry
from optout.models import Dataset, Licensee, LicenseeDataset
from tests.support.factories import DatasetFactory
from tests.support.licensees import feed_get

pytestmark = pytest.mark.django_db


@pytest.fixture
def dif() -> Dataset:
    return DatasetFactory(slug="diversity-in-faces", name="Diversity in Faces")


def run(*args: str) -> list[str]:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue().splitlines()


def test_createlicensee_prints_the_token_and_secret_once_and_keeps_a_hash(
    client: Client, dif: Dataset
) -> None:
    DatasetFactory(slug="ffhq")
    lines = run(
        "createlicensee",
        "--name=Lab X",
        "--email=data@labx.example",
        "--email=ops@labx.example",
        "--dataset=diversity-in-faces@2020-03-01",
        "--dataset=ffhq",
        "--webhook=https://labx.example/hooks/optout",
    )

    assert lines[0].startswith("Created licensee Lab X (id ")
    assert lines[0].endswith("holding diversity-in-faces, ffhq.")
    token, secret = lines[2].strip(), lines[4].strip()
    assert token.startswith("optl_") and len(token) > 40
    assert secret.startswith("whsec_")
    lab = Licensee.objects.get(name="Lab X")
    assert lab.token_hash == registry.token_hash(token) and token not in str(vars(lab))
    assert lab.webhook_secret == secret
    assert lab.contact_list == ["data@labx.example", "ops@labx.example"]
    assert not lab.show_name
    since = dict(LicenseeDataset.objects.values_list("dataset__slug", "since"))
    assert since == {"diversity-in-faces": datetime(2020, 3, 1, tzinfo=UTC), "ffhq": None}
    assert feed_get(client, token, "ffhq").status_code == 200


def test_createlicensee_refuses_bad_input_with_a_message(dif: Dataset) -> None:
    cases = {
        ("--email=nope",): "'nope' is not an email address.",
        ("--dataset=no-such",): "No dataset no-such. Known: diversity-in-faces.",
        ("--webhook=ftp://x.example/",): "is not an http(s) URL for the webhook.",
        ("--dataset=diversity-in-faces@yesterday",): "'yesterday' is not a date",
    }
    for extra, message in cases.items():
        args = {"--name": "Lab Y", "--email": "a@y.example", "--dataset": dif.slug}
        for item in extra:
            key, value = item.split("=", 1)
            args[key] = value
        with pytest.raises(CommandError, match=re.escape(message)):
            run("createlicensee", *(f"{k}={v}" for k, v in args.items()))
    run("createlicensee", "--name=Lab Y", "--email=a@y.example", f"--dataset={dif.slug}")
    with pytest.raises(CommandError, match=r"A licensee named 'Lab Y' exists already\."):
        run("createlicensee", "--name=Lab Y", "--email=a@y.example", f"--dataset={dif.slug}")


def test_a_rotated_token_replaces_the_old_one_and_a_revoked_licensee_gets_401(
    client: Client, dif: Dataset
) -> None:
    lines = run("createlicensee", "--name=Lab Z", "--email=z@z.example", f"--dataset={dif.slug}")
    old = lines[2].strip()

    rotated = run("licensee", "Lab Z", "--rotate-token")
    new = rotated[1].strip()

    assert rotated[0] == "New API token for Lab Z (shown only now):"
    assert feed_get(client, old, dif.slug).status_code == 401
    assert feed_get(client, new, dif.slug).status_code == 200
    assert run("licensee", "Lab Z", "--revoke") == ["Revoked Lab Z."]
    assert run("licensee", "Lab Z", "--revoke") == ["Already revoked: Lab Z."]
    assert feed_get(client, new, dif.slug).status_code == 401
    with pytest.raises(CommandError, match=r"Lab Z is revoked\."):
        run("licensee", "Lab Z", "--rotate-token")
    with pytest.raises(CommandError, match=r"No licensee named 'Lab Q'\."):
        run("licensee", "Lab Q", "--revoke")


def test_a_webhook_secret_is_rotated_and_a_paused_webhook_resumed_from_the_shell(
    dif: Dataset,
) -> None:
    run(
        "createlicensee",
        "--name=Lab W",
        "--email=w@w.example",
        f"--dataset={dif.slug}",
        "--webhook=https://w.example/hook",
    )
    Licensee.objects.filter(name="Lab W").update(
        webhook_paused_at=datetime(2026, 1, 1, tzinfo=UTC), webhook_paused_why="410"
    )

    secret = run("licensee", "Lab W", "--rotate-secret")[1].strip()
    resumed = run("licensee", "Lab W", "--resume-webhook")

    lab = Licensee.objects.get(name="Lab W")
    assert secret.startswith("whsec_") and lab.webhook_secret == secret
    assert resumed == ["Webhook of Lab W resumed; 0 event(s) queued."]
    assert lab.webhook_paused_at is None

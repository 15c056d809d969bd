"""The email outbox against real processes (`celery -A optout worker` and `celery -A
optout beat`) on the configured broker (Redis with REDIS_URL, else the folder
broker) and the test database: a broker down at filing, a worker killed while an
email waits for its retry or while it sends, a provider outage through several
sweeps, and the sweeper's message racing a late one.

The processes run tests/support/mail_settings.py: the provider is a folder
(tests/support/mail_folder.py) that this test switches off and on with a file,
and every message it accepts is a file there, which is how "exactly once" is
checked. Short intervals: the sweep every second, a message untaken or a claim
unfinished for 3 s is the sweeper's, retries after half a second or so.
"""

import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone
from pytest_django.fixtures import Settings

from optout.models import EmailLog, RemovalRequest
from optout.notifications import emails
from optout.requests import filing
from tests.support.broker import broker_down, database_url
from tests.support.factories import PhotoFactory
from tests.support.mail_folder import provider_down, sent_messages

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]
E = EmailLog.Outcome
ROOT = Path(__file__).resolve().parents[2]
SWEEP_EVERY = 1.0
REQUEUE_AFTER = 3.0


class Processes:
    """Workers and a beat sharing this test's database, broker, VAR_DIR and mail folder;
    all killed at the end."""

    def __init__(self, mail: Path, logs: Path) -> None:
        self.mail = mail
        self.logs = logs
        self.running: list[subprocess.Popen[bytes]] = []

    def _env(self, send_delay: float) -> dict[str, str]:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.support.mail_settings",
            "DATABASE_URL": database_url(),
            "VAR_DIR": str(settings.VAR_DIR),
            "EMAIL_TEST_FOLDER": str(self.mail),
            "EMAIL_TEST_SEND_DELAY": str(send_delay),
            "EMAIL_SWEEP_EVERY_SECONDS": str(SWEEP_EVERY),
            "EMAIL_REQUEUE_AFTER_SECONDS": str(REQUEUE_AFTER),
            "EMAIL_RETRY_BACKOFF_SECONDS": "0.5",
            "EMAIL_RETRY_BACKOFF_MAX_SECONDS": "1",
            "EMAIL_MAX_ATTEMPTS": "20",
        }
        if settings.REDIS_URL:
            env["REDIS_URL"] = settings.REDIS_URL
        return env

    def _start(self, command: list[str], name: str, send_delay: float) -> subprocess.Popen[bytes]:
        log = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115 (lives with the process)
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "optout", *command],
            cwd=ROOT,
            env=self._env(send_delay),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        self.running.append(process)
        return process

    def worker(self, send_delay: float = 0.0) -> subprocess.Popen[bytes]:
        name = f"mail-{uuid.uuid4().hex[:8]}"
        command = ["worker", "--pool", "solo", "--loglevel", "INFO", "--without-gossip"]
        command += ["--without-mingle", "--without-heartbeat", "-n", f"{name}@%h"]
        return self._start(command, name, send_delay)

    def beat(self) -> subprocess.Popen[bytes]:
        schedule = self.logs / f"beat-{uuid.uuid4().hex[:8]}"
        return self._start(["beat", "--loglevel", "INFO", "-s", str(schedule)], "beat", 0.0)

    def kill(self, process: subprocess.Popen[bytes]) -> None:
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.running:
            if process.poll() is None:
                self.kill(process)

    def output(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')}"
            for path in self.logs.glob("*.log")
        )


@pytest.fixture
def mail(tmp_path: Path) -> Path:
    folder = tmp_path / "mail"
    folder.mkdir()
    return folder


@pytest.fixture
def processes(mail: Path, tmp_path: Path, settings: Settings) -> Iterator[Processes]:
    # Filing in this process: the owner's request waits for review, so the only
    # background work is email.
    settings.AUTO_APPROVE_OWNER_REQUESTS = False
    logs = tmp_path / "logs"
    logs.mkdir()
    started = Processes(mail, logs)
    try:
        yield started
    finally:
        started.stop_all()


def wait_for(
    condition: Callable[[], bool], what: str, processes: Processes, seconds: float = 45
) -> float:
    """Seconds it took; fails with the processes' output after `seconds`."""
    started = time.monotonic()
    while time.monotonic() - started < seconds:
        if condition():
            return time.monotonic() - started
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}; output:\n{processes.output()}")


def file_request(owner: str) -> RemovalRequest:
    """An owner files, as the web process does: the request and its first email, one commit."""
    PhotoFactory(owner_nsid=owner)
    filed = filing.request_create(
        identity=filing.Identity(nsid=owner, username=owner),
        email=f"{owner.split('@')[0]}@example.org",
        photo_ids=None,
        future_releases=False,
    )
    return filed.removal


def received_by(mail: Path) -> Counter[str]:
    """How many "received" emails each request's owner got."""
    return Counter(m["request"] for m in sent_messages(mail) if m["kind"] == "received")


def the_email(removal: RemovalRequest) -> EmailLog:
    return EmailLog.objects.get(request=removal, kind="received")


def test_an_email_filed_while_the_broker_is_down_arrives_once_it_is_back(
    processes: Processes, mail: Path
) -> None:
    with broker_down():
        removal = file_request("10000001@N01")  # the filing stands; its email waits
        entry = the_email(removal)
        assert (entry.outcome, entry.enqueued_at) == (E.QUEUED, None)

    processes.worker()
    processes.beat()
    wait_for(lambda: received_by(mail)[removal.public_id] == 1, "the email", processes)
    # The provider has it a moment before the worker records so in its row.
    wait_for(lambda: the_email(removal).outcome == E.SENT, "the row to say sent", processes)
    assert received_by(mail)[removal.public_id] == 1
    assert "email sweep: 1 of 1 due emails sent" in processes.output()


def test_a_worker_killed_while_an_email_waits_for_its_retry_leaves_it_to_the_sweeper(
    processes: Processes, mail: Path
) -> None:
    provider_down(mail)
    first = processes.worker()
    removal = file_request("10000002@N01")
    wait_for(
        lambda: the_email(removal).outcome == E.QUEUED and the_email(removal).attempts == 1,
        "a failed attempt",
        processes,
    )
    processes.kill(first)  # under Celery's retries, this worker held the retry for hours
    provider_down(mail, False)
    assert the_email(removal).outcome == E.QUEUED  # the retry is in the row

    processes.worker()
    processes.beat()
    took = wait_for(lambda: received_by(mail)[removal.public_id] == 1, "the retry", processes)
    # Worker and beat start-up, one sweep, one backoff: seconds, not the 6 h a
    # held retry waited for Redis's visibility timeout.
    assert took < 30
    time.sleep(2 * SWEEP_EVERY)
    assert received_by(mail) == {removal.public_id: 1}
    assert the_email(removal).outcome == E.SENT


def test_a_worker_killed_while_it_sends_leaves_the_email_to_the_sweeper(
    processes: Processes, mail: Path
) -> None:
    first = processes.worker(send_delay=30)  # at the provider for long enough to be killed there
    removal = file_request("10000003@N01")
    wait_for(lambda: the_email(removal).outcome == E.SENDING, "the send to start", processes)
    processes.kill(first)

    processes.worker()
    processes.beat()
    wait_for(lambda: received_by(mail)[removal.public_id] == 1, "the resend", processes)
    wait_for(lambda: the_email(removal).outcome == E.SENT, "the row to say sent", processes)
    assert the_email(removal).attempts == 2
    assert received_by(mail) == {removal.public_id: 1}


def test_a_provider_outage_through_several_sweeps_ends_in_one_email_each(
    processes: Processes, mail: Path
) -> None:
    provider_down(mail)
    processes.worker()
    processes.beat()
    removals = [file_request(f"1000001{n}@N01") for n in range(3)]
    wait_for(
        lambda: all(the_email(removal).attempts >= 3 for removal in removals),
        "three failed attempts each",
        processes,
    )
    assert not sent_messages(mail)
    provider_down(mail, False)

    wanted = {removal.public_id: 1 for removal in removals}
    wait_for(lambda: received_by(mail) == wanted, "every email", processes)
    time.sleep(3 * SWEEP_EVERY)  # sweeps that find nothing due send nothing more
    assert received_by(mail) == wanted
    assert set(EmailLog.objects.values_list("outcome", flat=True)) == {E.SENT}


def test_the_sweepers_message_and_a_late_one_taken_at_once_send_the_email_once(
    processes: Processes, mail: Path
) -> None:
    removal = file_request("10000004@N01")  # its message waits in the broker: no worker yet
    entry = the_email(removal)
    # As if that message were lost: the sweeper sends a second one.
    EmailLog.objects.filter(pk=entry.pk).update(enqueued_at=timezone.now() - timedelta(hours=1))
    assert emails.emails_sweep() == 1

    processes.worker(send_delay=1)
    processes.worker(send_delay=1)
    wait_for(lambda: received_by(mail)[removal.public_id] == 1, "the email", processes)
    wait_for(
        lambda: processes.output().count("optout.tasks.email_send[") >= 4,
        "both messages to be taken",
        processes,
    )
    assert received_by(mail) == {removal.public_id: 1}
    output = processes.output()
    assert ("another worker has it" in output) or ("already sent" in output), output
    assert the_email(removal).attempts == 1

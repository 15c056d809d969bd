"""Soak: the Procfile's processes under faults, and every email exactly once.

    .venv/bin/python bench/soak.py [--owners N] [--db-name NAME] [--redis-port P]

Starts what the Procfile starts (gunicorn, two Celery workers, beat) plus the
Flickr simulator, on a PostgreSQL database of its own next to DATABASE_URL's
(default postgres://postgres@127.0.0.1:5432, never touched) and a Redis server of
its own on a free loopback port, started without persistence (or the one on
--redis-port, which it stops and starts again the same way). Email goes to a
folder (tests/support/mail_folder.py) that it reads and can switch off.

N owners (default 36), each with three photos on disk, sign in through the
simulator over HTTP, file a removal request for all their photos, and confirm
their address by following the link in the email they got. Meanwhile:

- a worker is SIGKILLed every ~8 s (its whole process group) and started again;
- Redis is stopped for ~10 s and started again empty (no persistence: every
  message it held is gone);
- the email provider fails for ~20 s;
- gunicorn is SIGKILLed once and started again.

Then it waits until every request completed and every email went out, waits
a little more for late duplicates, and checks: one request per owner, each
completed, and each owner got the confirmation request ("received"), the
"email confirmed" note and the receipt ("completed") exactly once, and no
email twice. Prints the figures; exits non-zero if a check failed.

Loopback only. Stops every process it started, starts Redis again if it is down
(also on error or Ctrl-C), and drops its database unless --keep.
"""

import argparse
import contextlib
import functools
import json
import os
import random
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
print = functools.partial(print, flush=True)  # progress as it comes, also into a file

SWEEP_EVERY = 5  # seconds, both sweepers
REQUEUE_AFTER = 20  # seconds: a message untaken, a claim or a heartbeat that old
FILING_SPAN = 60.0  # seconds over which the owners start
KILL_EVERY = 8.0
REDIS_DOWN_AT, REDIS_DOWN_FOR = 20.0, 10.0
PROVIDER_DOWN_AT, PROVIDER_DOWN_FOR = 32.0, 20.0
GUNICORN_KILL_AT, GUNICORN_DOWN_FOR = 45.0, 3.0
CHAOS_UNTIL = 75.0
SETTLE = REQUEUE_AFTER + 3 * SWEEP_EVERY  # after all arrived: time for a late duplicate
HTTP_PATIENCE = 120.0  # seconds a step keeps retrying through outages
KINDS_ONCE = ("received", "email_confirmed", "completed")
# The Procfile's options.
WEB_ARGS = ["--workers", "2", "--threads", "4", "--access-logfile", "-"]
WORKER_ARGS = ["--loglevel", "INFO", "--prefetch-multiplier", "1", "--concurrency", "2", "-n"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def elapsed(since: float) -> str:
    return f"{time.monotonic() - since:6.1f}s"


# Processes


class Redis:
    """A Redis server on loopback without persistence, stopped and started by us."""

    def __init__(self, port: int, workdir: Path, own: bool) -> None:
        self.port = port
        self.workdir = workdir
        self.own = own

    def ping(self) -> bool:
        answer = subprocess.run(
            ["redis-cli", "-p", str(self.port), "ping"], capture_output=True, check=False
        )
        return answer.stdout.strip() == b"PONG"

    def start(self) -> None:
        command = ["redis-server", "--daemonize", "yes", "--bind", "127.0.0.1"]
        command += ["--port", str(self.port), "--save", "", "--appendonly", "no"]
        command += ["--dir", str(self.workdir), "--logfile", str(self.workdir / "redis.log")]
        subprocess.run(command, check=True, capture_output=True)
        for _ in range(100):
            if self.ping():
                return
            time.sleep(0.05)
        raise RuntimeError(f"Redis did not start on port {self.port}")

    def stop(self) -> None:
        subprocess.run(
            ["redis-cli", "-p", str(self.port), "shutdown", "nosave"],
            capture_output=True,
            check=False,
        )
        for _ in range(100):
            if not self.ping():
                return
            time.sleep(0.05)


@dataclass
class Service:
    name: str
    command: list[str]
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0


class Fleet:
    """The Procfile's processes and the simulator, each in its own process group."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env = env
        self.logs = logs
        self.services: dict[str, Service] = {}
        self.lock = threading.Lock()
        self.unexpected: list[str] = []

    def add(self, name: str, command: list[str]) -> None:
        self.services[name] = Service(name, command)

    def start(self, name: str) -> None:
        service = self.services[name]
        with open(self.logs / f"{name}.log", "ab") as log:
            log.write(f"\n===== start {service.starts + 1} =====\n".encode())
            log.flush()
            service.process = subprocess.Popen(
                service.command,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        service.starts += 1

    def kill(self, name: str) -> None:
        service = self.services[name]
        process = service.process
        if process is None or process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError):  # it died on its own meanwhile
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def restart_dead(self) -> None:
        """A process that died without being killed by us is a finding: say so, start it."""
        with self.lock:
            for name, service in self.services.items():
                if service.process is not None and service.process.poll() is not None:
                    self.unexpected.append(f"{name} exited with {service.process.returncode}")
                    self.start(name)

    def stop_all(self) -> None:
        for name in self.services:
            self.kill(name)

    def log_text(self, prefix: str) -> str:
        return "\n".join(
            path.read_text(errors="replace") for path in sorted(self.logs.glob(f"{prefix}*.log"))
        )


def wait_http(url: str, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not answer")


# The owners, over HTTP


class Retry(Exception):
    """This step did not go through (the server was down or answered 5xx)."""


@dataclass
class Owner:
    n: int
    nsid: str
    username: str
    email: str
    status_path: str = ""
    filed_at: float = 0.0
    confirmed_at: float = 0.0
    http_retries: int = 0
    problems: list[str] = field(default_factory=list)


def csrf(session: requests.Session) -> str:
    return str(session.cookies.get("csrftoken", ""))


def call(
    method: Callable[..., requests.Response], url: str, ok: tuple[int, ...], **kwargs: Any
) -> requests.Response:
    try:
        response = method(url, timeout=15, allow_redirects=False, **kwargs)
    except requests.RequestException as error:
        raise Retry(f"{url}: {type(error).__name__}") from error
    if response.status_code not in ok:
        raise Retry(f"{url}: HTTP {response.status_code}")
    return response


def patiently(owner: Owner, step: Callable[[], Any], what: str) -> Any:
    """Run `step` until it goes through, for up to HTTP_PATIENCE seconds."""
    deadline = time.monotonic() + HTTP_PATIENCE
    while True:
        try:
            return step()
        except Retry as retry:
            owner.http_retries += 1
            if time.monotonic() > deadline:
                raise RuntimeError(f"{owner.username}: {what} kept failing: {retry}") from retry
            time.sleep(0.5 + random.random())


def file_request(base: str, owner: Owner) -> None:
    """Sign in through the simulator and file a request for all one's photos."""

    def walk() -> str:
        session = requests.Session()
        call(session.get, f"{base}/signin/flickr/?next=/me/photos/", (200,))
        to_flickr = call(
            session.post,
            f"{base}/signin/flickr/",
            (302,),
            data={"csrfmiddlewaretoken": csrf(session), "next": "/me/photos/"},
        )
        back = call(
            requests.get, to_flickr.headers["Location"], (302,), params={"approve_as": owner.nsid}
        )
        call(session.get, back.headers["Location"], (302,))
        call(session.get, f"{base}/me/photos/", (200,))
        filed = call(
            session.post,
            f"{base}/me/photos/",
            (302,),
            data={
                "csrfmiddlewaretoken": csrf(session),
                "scope": "all",
                "email": owner.email,
                "action": "file",
            },
        )
        return str(filed.headers["Location"])

    owner.status_path = patiently(owner, walk, "filing")
    owner.filed_at = time.time()


def confirm_link(mail: Path, owner: Owner) -> str:
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        for message in messages(mail):
            if message["kind"] == "received" and owner.email in message["to"]:
                found = re.search(r"(/confirm/[A-Za-z0-9_-]+/)", message["body"])
                if found:
                    return found.group(1)
        time.sleep(0.5)
    raise RuntimeError(f"{owner.username}: no confirmation request arrived")


def confirm(base: str, mail: Path, owner: Owner) -> None:
    path = confirm_link(mail, owner)
    session = requests.Session()
    tried = False

    def press() -> None:
        nonlocal tried
        page = call(session.get, f"{base}{path}", (200, 404))
        if page.status_code == 404:
            if tried:
                return  # our earlier press went through; its answer was lost
            raise RuntimeError(f"{owner.username}: the confirmation link was refused")
        tried = True
        call(session.post, f"{base}{path}", (200,), data={"csrfmiddlewaretoken": csrf(session)})

    patiently(owner, press, "confirming")
    owner.confirmed_at = time.time()


def owner_run(base: str, mail: Path, owner: Owner, start_at: float) -> None:
    time.sleep(max(0.0, start_at - time.monotonic()))
    try:
        file_request(base, owner)
        confirm(base, mail, owner)
    except RuntimeError as error:
        owner.problems.append(str(error))


def messages(mail: Path) -> list[dict[str, Any]]:
    sent = mail / "sent"
    if not sent.exists():
        return []
    found = []
    for path in sent.glob("*.json"):
        try:
            found.append(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, json.JSONDecodeError):
            continue  # renamed in while we listed; the next look sees it
    return found


# Faults


@dataclass
class Faults:
    worker_kills: int = 0
    redis_down_s: float = 0.0
    provider_down_s: float = 0.0
    gunicorn_kills: int = 0
    log: list[str] = field(default_factory=list)


def chaos(fleet: Fleet, redis: Redis, mail: Path, faults: Faults, t0: float) -> None:
    """The fault timeline, in seconds from the first owner's start."""
    next_kill = 4.0
    redis_state = provider_state = gunicorn_state = "before"
    redis_stopped = provider_stopped = 0.0
    victim = 0
    while (now := time.monotonic() - t0) < CHAOS_UNTIL:
        if now >= next_kill:
            victim = 1 - victim
            name = f"worker{victim + 1}"
            fleet.kill(name)
            fleet.start(name)
            faults.worker_kills += 1
            faults.log.append(f"{now:5.1f}s SIGKILL {name}, restarted")
            next_kill += KILL_EVERY * random.uniform(0.8, 1.2)
        if redis_state == "before" and now >= REDIS_DOWN_AT:
            redis.stop()
            redis_stopped, redis_state = time.monotonic(), "down"
            faults.log.append(f"{now:5.1f}s Redis stopped")
        if redis_state == "down" and now >= REDIS_DOWN_AT + REDIS_DOWN_FOR:
            redis.start()
            faults.redis_down_s = time.monotonic() - redis_stopped
            redis_state = "after"
            faults.log.append(f"{now:5.1f}s Redis started again, empty")
        if provider_state == "before" and now >= PROVIDER_DOWN_AT:
            (mail / "provider.down").touch()
            provider_stopped, provider_state = time.monotonic(), "down"
            faults.log.append(f"{now:5.1f}s email provider failing")
        if provider_state == "down" and now >= PROVIDER_DOWN_AT + PROVIDER_DOWN_FOR:
            (mail / "provider.down").unlink(missing_ok=True)
            faults.provider_down_s = time.monotonic() - provider_stopped
            provider_state = "after"
            faults.log.append(f"{now:5.1f}s email provider back")
        if gunicorn_state == "before" and now >= GUNICORN_KILL_AT:
            fleet.kill("web")
            faults.gunicorn_kills += 1
            gunicorn_state = "down"
            faults.log.append(f"{now:5.1f}s SIGKILL gunicorn")
        if gunicorn_state == "down" and now >= GUNICORN_KILL_AT + GUNICORN_DOWN_FOR:
            fleet.start("web")
            gunicorn_state = "after"
            faults.log.append(f"{now:5.1f}s gunicorn started again")
        time.sleep(0.2)


# Set-up and checks


def configure(args: argparse.Namespace, workdir: Path, redis_port: int) -> dict[str, str]:
    web_port, flickr_port = free_port(), free_port()
    server = args.server_url
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("REDIS_URL", "DATABASE_URL", "DJANGO_SETTINGS_MODULE", "FLICKR_API_KEY")
    }
    env.update(
        DATABASE_URL=f"{server}/{args.db_name}",
        REDIS_URL=f"redis://127.0.0.1:{redis_port}/{args.redis_db}",
        DEBUG="true",  # the Flickr simulator runs only with DEBUG on
        SECRET_KEY="soak-only-" + os.urandom(8).hex(),
        OWNER_KEY_SECRET="soak-only",  # noqa: S106 (a throwaway database's key)
        DJANGO_SETTINGS_MODULE="soak_settings",
        PYTHONPATH=os.pathsep.join([str(ROOT / "bench"), str(ROOT)]),
        VAR_DIR=str(workdir / "var"),
        MEDIA_ROOT=str(workdir / "media"),
        EMAIL_TEST_FOLDER=str(workdir / "mail"),
        SITE_URL=f"http://127.0.0.1:{web_port}",
        PORT=str(web_port),
        FLICKR_SIMULATOR_PORT=str(flickr_port),
        LOG_LEVEL="INFO",
        EMAIL_SWEEP_EVERY_SECONDS=str(SWEEP_EVERY),
        EMAIL_REQUEUE_AFTER_SECONDS=str(REQUEUE_AFTER),
        EMAIL_RETRY_BACKOFF_SECONDS="2",
        EMAIL_RETRY_BACKOFF_MAX_SECONDS="10",
        DELETION_SWEEP_EVERY_SECONDS=str(SWEEP_EVERY),
        DELETION_REQUEUE_AFTER_SECONDS=str(REQUEUE_AFTER),
        DELETION_STALE_AFTER_SECONDS=str(REQUEUE_AFTER),
        DELETION_RETRY_BACKOFF_SECONDS="1",
        RATE_LIMIT_SIGNIN_PER_MINUTE="100000",
        RATE_LIMIT_FORMS_PER_MINUTE="100000",
        RATE_LIMIT_LOOKUP_PER_MINUTE="100000",
    )
    for folder in ("var", "media", "mail", "logs"):
        (workdir / folder).mkdir(parents=True, exist_ok=True)
    return env


def owners_load(count: int) -> list[Owner]:
    """`count` owners with three photos each in one dataset, their files on disk."""
    from django.conf import settings

    from optout.models import Dataset, Photo

    dataset = Dataset.objects.create(slug="soak", name="Soak Faces", release="1.0")
    media = Path(settings.MEDIA_ROOT)
    owners, photos = [], []
    for n in range(count):
        owner = Owner(
            n=n,
            nsid=f"{40_000_000 + n}@N01",
            username=f"soaker{n:03d}",
            email=f"soaker{n:03d}@example.org",
        )
        owners.append(owner)
        for k in range(3):
            flickr_id = 7_000_000_000 + n * 10 + k
            key = f"soak/{flickr_id}.jpg"
            (media / "soak").mkdir(parents=True, exist_ok=True)
            (media / key).write_bytes(b"\xff\xd8 a face")
            photos.append(
                Photo(
                    dataset=dataset,
                    flickr_id=flickr_id,
                    owner_nsid=owner.nsid,
                    owner_name=owner.username,
                    title=f"Photo {k} of {owner.username}",
                    page_url=f"https://www.flickr.com/photos/{owner.nsid}/{flickr_id}/",
                    server="65535",
                    secret="abc123",  # noqa: S106 (Flickr's photo secret, not ours)
                    farm=66,
                    file_keys=[key],
                )
            )
    Photo.objects.bulk_create(photos)
    return owners


def converged(owners: list[Owner], mail: Path) -> bool:
    from optout.models import RemovalRequest

    # An owner who could not finish is in the report already; waiting would not help.
    going = [o.email for o in owners if not o.problems]
    completed = RemovalRequest.objects.filter(
        status=RemovalRequest.Status.COMPLETED, email__in=going
    ).count()
    if completed < len(going):
        return False
    got = Counter((tuple(m["to"]), m["kind"]) for m in messages(mail))
    return all(got[((email,), kind)] >= 1 for email in going for kind in KINDS_ONCE)


def percentiles(values: list[float]) -> str:
    if not values:
        return "—"
    values = sorted(values)
    p50 = statistics.median(values)
    p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
    return f"p50 {p50:.1f} s, p95 {p95:.1f} s, max {values[-1]:.1f} s"


def report(owners: list[Owner], mail: Path, faults: Faults, fleet: Fleet, wall: float) -> bool:
    """Print the figures; True when every check passed."""
    from optout.models import EmailLog, RemovalRequest

    ok = True
    sent = messages(mail)
    by_owner_kind = Counter((m["to"][0], m["kind"]) for m in sent)
    requests_of = Counter(RemovalRequest.objects.values_list("email", flat=True))
    statuses = Counter(RemovalRequest.objects.values_list("status", flat=True))
    confirmed = RemovalRequest.objects.filter(email_confirmed_at__isnull=False).count()

    print("\n== Soak figures ==")
    print(f"owners: {len(owners)}; wall time {wall:.0f} s")
    print(
        f"faults: {faults.worker_kills} worker SIGKILLs, Redis down {faults.redis_down_s:.1f} s "
        f"(restarted empty), provider failing {faults.provider_down_s:.1f} s, "
        f"{faults.gunicorn_kills} gunicorn SIGKILL"
    )
    print(f"HTTP steps retried through outages: {sum(o.http_retries for o in owners)}")
    print(f"requests: {sum(requests_of.values())} filed, statuses {dict(statuses)}")
    print(f"addresses confirmed: {confirmed}")
    duplicates = [o.email for o in owners if requests_of[o.email] != 1]
    if duplicates or statuses.get("completed", 0) != len(owners):
        ok = False
        print(f"FAIL: not exactly one completed request per owner: {duplicates}")
    for kind in (*KINDS_ONCE, "approved"):
        counts = Counter(by_owner_kind[(o.email, kind)] for o in owners)
        print(f"email {kind!r}: owners by number received {dict(sorted(counts.items()))}")
        if kind in KINDS_ONCE and counts != Counter({1: len(owners)}):
            ok = False
            print(f"FAIL: not every owner got exactly one {kind!r}")
    twice = [key for key, count in by_owner_kind.items() if count > 1]
    if twice:
        ok = False
        print(f"FAIL: sent more than once: {twice}")
    print(f"emails sent in all: {len(sent)}")
    outcomes = Counter(EmailLog.objects.values_list("outcome", flat=True))
    attempts = Counter(EmailLog.objects.values_list("attempts", flat=True))
    print(f"email log: outcomes {dict(outcomes)}; attempts {dict(sorted(attempts.items()))}")

    sent_at = {(m["to"][0], m["kind"]): m["at"] for m in sent}
    to_receipt = [
        sent_at[(o.email, "completed")] - o.confirmed_at
        for o in owners
        if (o.email, "completed") in sent_at and o.confirmed_at
    ]
    to_first = [
        sent_at[(o.email, "received")] - o.filed_at
        for o in owners
        if (o.email, "received") in sent_at and o.filed_at
    ]
    print(f"filed → confirmation request sent: {percentiles(to_first)}")
    print(f"confirmed → receipt sent (or completion, if later): {percentiles(to_receipt)}")
    logs = fleet.log_text("worker")
    sweeps = [
        (int(a), int(b))
        for a, b in re.findall(r"email sweep: (\d+) of (\d+) due emails sent", logs)
    ]
    print(
        f"email sweeps that found work: {len(sweeps)}, emails they sent again: "
        f"{sum(a for a, _ in sweeps)}"
    )
    print(f"deletion sweeps that found work: {logs.count('left-behind jobs re-enqueued')}")
    if fleet.unexpected:
        print(f"processes that exited on their own (restarted): {fleet.unexpected}")
    problems = [problem for o in owners for problem in o.problems]
    if problems:
        ok = False
        print(f"FAIL: owners who could not finish: {problems}")
    print("fault timeline:\n  " + "\n  ".join(faults.log))
    print("\nRESULT: " + ("every owner got each email exactly once" if ok else "FAILED"))
    return ok


def server_url(database_url: str) -> str:
    """The server part of a PostgreSQL DATABASE_URL (its database is never used)."""
    if database_url.startswith("postgres"):
        return database_url.rsplit("/", 1)[0]
    return "postgres://postgres@127.0.0.1:5432"


def arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--owners", type=int, default=36)
    parser.add_argument("--db-name", default="optout_soak")
    parser.add_argument(
        "--server-url",
        default=server_url(os.environ.get("DATABASE_URL", "")),
        help="the PostgreSQL server (default: DATABASE_URL's, else 127.0.0.1:5432)",
    )
    parser.add_argument(
        "--redis-port",
        type=int,
        default=0,
        help="use (stop and restart) the Redis on this port instead of a private one",
    )
    parser.add_argument("--redis-db", type=int, default=0)
    parser.add_argument("--timeout", type=float, default=420, help="seconds for the whole run")
    parser.add_argument("--keep", action="store_true", help="keep the database and the files")
    return parser.parse_args()


def main() -> int:
    args = arguments()
    workdir = Path(tempfile.mkdtemp(prefix="optout-soak-"))
    own_redis = not args.redis_port
    redis = Redis(args.redis_port or free_port(), workdir, own=own_redis)
    env = configure(args, workdir, redis.port)
    os.environ.update(env)
    mail = workdir / "mail"
    fleet = Fleet(env, workdir / "logs")
    ok = False
    started = time.monotonic()
    admin = f"{args.server_url}/postgres"
    try:
        if own_redis:
            redis.start()
        elif not redis.ping():
            raise SystemExit(f"no Redis answers on port {redis.port}")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{args.db_name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{args.db_name}"')
        python = [sys.executable]
        subprocess.run(
            [*python, "manage.py", "migrate", "--no-input", "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
        import django

        django.setup()
        owners = owners_load(args.owners)
        print(f"{elapsed(started)} {len(owners)} owners loaded; workdir {workdir}")

        port = env["PORT"]
        control = ["--control-socket", str(workdir / "gunicorn.ctl")]  # not one in $HOME
        fleet.add(
            "web",
            [
                *python,
                "-m",
                "gunicorn",
                "optout.wsgi",
                "--bind",
                f"127.0.0.1:{port}",
                *WEB_ARGS,
                *control,
            ],
        )
        for n in (1, 2):
            fleet.add(
                f"worker{n}",
                [*python, "-m", "celery", "-A", "optout", "worker", *WORKER_ARGS, f"soak{n}@%h"],
            )
        fleet.add("beat", [*python, "-m", "celery", "-A", "optout", "beat", "--loglevel", "INFO"])
        fleet.add(
            "flickr",
            [*python, "manage.py", "flickr_simulator", "--port", env["FLICKR_SIMULATOR_PORT"]],
        )
        for name in fleet.services:
            fleet.start(name)
        base = env["SITE_URL"]
        wait_http(f"{base}/healthz")
        wait_http(f"http://127.0.0.1:{env['FLICKR_SIMULATOR_PORT']}/services/rest")
        print(f"{elapsed(started)} web, 2 workers, beat and the Flickr simulator are up")

        faults = Faults()
        t0 = time.monotonic()
        spacing = FILING_SPAN / max(1, len(owners))
        # A thread per owner: most of them wait for an email most of the time.
        pool = ThreadPoolExecutor(max_workers=len(owners))
        runs = [
            pool.submit(owner_run, base, mail, owner, t0 + n * spacing)
            for n, owner in enumerate(owners)
        ]
        chaos_thread = threading.Thread(
            target=chaos, args=(fleet, redis, mail, faults, t0), daemon=True
        )
        chaos_thread.start()
        while chaos_thread.is_alive():
            chaos_thread.join(timeout=2)
            if chaos_thread.is_alive() and time.monotonic() - t0 < CHAOS_UNTIL:
                done = sum(run.done() for run in runs)
                print(f"{elapsed(started)} owners done: {done}/{len(owners)}", end="\r")
        print(f"\n{elapsed(started)} faults over: " + "; ".join(faults.log[-3:]))
        for run in runs:
            run.result(timeout=max(1.0, args.timeout - (time.monotonic() - started)))
        pool.shutdown()
        print(f"{elapsed(started)} every owner filed and confirmed (or gave up)")

        deadline = started + args.timeout
        while not converged(owners, mail) and time.monotonic() < deadline:
            fleet.restart_dead()
            time.sleep(1)
        print(f"{elapsed(started)} converged; waiting {SETTLE} s for late duplicates")
        time.sleep(SETTLE)
        ok = report(owners, mail, faults, fleet, time.monotonic() - started)
    finally:
        fleet.stop_all()
        if not redis.ping():
            redis.start()  # never leave Redis down
        if own_redis:
            redis.stop()
        if not args.keep:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{args.db_name}" WITH (FORCE)')
            if ok:
                shutil.rmtree(workdir, ignore_errors=True)
        if not ok or args.keep:
            print(f"logs and files kept in {workdir}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

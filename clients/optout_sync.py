#!/usr/bin/env python3
"""optout_sync: apply a dataset's removals to your copy, then acknowledge them.

For organisations holding a copy of a dataset whose maintainers use optout
(docs/licensees.md). Standard library only; Python 3.9 or newer. Run it from cron:

    OPTOUT_TOKEN=optl_… optout_sync.py --server https://optout.example \\
        --dataset diversity-in-faces --root /data/dif --path '{flickr_id}.jpg'

Each run reads the removal feed from the last cursor it applied, deletes the
matching files under --root (`--path` templates, or a `--manifest` mapping photo
ids to paths), appends what it did to a local log, and acknowledges through the
last cursor whose removals are all deleted or were already absent.

Killed at any point, the next run resumes: the saved cursor moves only after a
whole page is applied (its deletions logged and synced to disk), and the
acknowledgement is sent only after that. A removal is never skipped, and never
acknowledged before its files are gone. Deleting a file that is already gone
counts as done, so a page applied twice does no harm.

Exit status: 0 done, 1 a failure (the log says which), 2 bad arguments, 3 another
run holds the lock.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TextIO

try:
    import fcntl
except ImportError:  # Windows: no lock, the state file alone
    fcntl = None  # type: ignore[assignment]

VERSION = "1"
USER_AGENT = f"optout_sync/{VERSION}"
PAGE = 1000
RETRIES = 5


class SyncError(Exception):
    """Stops the run; the message says why and what to do."""


@dataclass
class State:
    """What this copy has applied, and acknowledged, of the feed (saved as JSON)."""

    path: Path
    applied: str | None = None
    acknowledged: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> State:
        if not path.exists():
            return cls(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise SyncError(f"cannot read the state file {path}: {error}") from error
        return cls(path, data.get("applied"), data.get("acknowledged"), data)


def state_save(state: State) -> None:
    """Write the state atomically: a new file, synced, renamed over the old one."""
    data = {
        **state.extra,
        "applied": state.applied,
        "acknowledged": state.acknowledged,
        "updated_at": now(),
    }
    temporary = state.path.with_name(state.path.name + ".tmp")
    with open(temporary, "w", encoding="utf-8") as out:
        json.dump(data, out, indent=2)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, state.path)
    _sync_dir(state.path.parent)


def _sync_dir(folder: Path) -> None:
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass  # some file systems cannot sync a directory; the rename is still atomic
    finally:
        os.close(handle)


def now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: UP017 (3.9+)


class Log:
    """The local log: one line per file deleted or found absent, and per acknowledgement."""

    def __init__(self, path: Path, echo: TextIO | None) -> None:
        self.out = open(path, "a", encoding="utf-8")  # noqa: SIM115 (closed in close())
        self.echo = echo

    def write(self, message: str) -> None:
        self.out.write(f"{now()} {message}\n")
        if self.echo:
            print(message, file=self.echo, flush=True)

    def sync(self) -> None:
        self.out.flush()
        os.fsync(self.out.fileno())

    def close(self) -> None:
        self.out.close()


class Api:
    def __init__(self, server: str, token: str, dataset: str, timeout: float) -> None:
        if urllib.parse.urlsplit(server).scheme not in ("http", "https"):
            raise SyncError(f"--server {server!r} is not an http(s) URL")
        self.base = server.rstrip("/") + "/api/v1/datasets/" + urllib.parse.quote(dataset)
        self.token = token
        self.timeout = timeout

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        data = json.dumps(body).encode() if body is not None else None
        for attempt in range(1, RETRIES + 1):
            # S310: the scheme is http(s), checked in __init__.
            request = urllib.request.Request(self.base + path, data=data, method=method)  # noqa: S310
            request.add_header("Authorization", f"Bearer {self.token}")
            request.add_header("Accept", "application/json")
            request.add_header("User-Agent", USER_AGENT)
            if data is not None:
                request.add_header("Content-Type", "application/json")
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                    return json.loads(response.read().decode("utf-8"))
            except urllib.error.HTTPError as error:
                message = _error_text(error)
                if error.code == 401:
                    raise SyncError(f"the server refused the token (401): {message}") from None
                if error.code == 404:
                    raise SyncError(f"no such dataset for this token (404): {message}") from None
                if error.code == 400:
                    raise SyncError(
                        f"the server refused the request (400): {message} If the saved cursor "
                        "is no longer valid, run again with --from-start (files already "
                        "deleted are skipped)."
                    ) from None
                if (error.code != 429 and error.code < 500) or attempt == RETRIES:
                    raise SyncError(f"HTTP {error.code} from {self.base}: {message}") from None
                wait = _retry_after(error, attempt)
            except (urllib.error.URLError, OSError, ValueError) as error:
                if attempt == RETRIES:
                    raise SyncError(f"cannot reach {self.base}: {error}") from None
                wait = 2.0**attempt
            time.sleep(wait)
        raise SyncError("unreachable")  # the loop returns or raises

    def feed(self, after: str | None, limit: int) -> dict[str, Any]:
        query = {"limit": str(limit)}
        if after:
            query["after"] = after
        return self.call("GET", "/removals/feed?" + urllib.parse.urlencode(query))

    def acknowledge(self, cursor: str) -> dict[str, Any]:
        return self.call("POST", "/acknowledgements", {"through": cursor})


def _error_text(error: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(error.read().decode("utf-8")).get("error", ""))
    except (ValueError, OSError, AttributeError):
        return error.reason if isinstance(error.reason, str) else ""


def _retry_after(error: urllib.error.HTTPError, attempt: int) -> float:
    header = error.headers.get("Retry-After", "") if error.headers else ""
    return min(float(header), 120.0) if header.isdigit() else 2.0**attempt


class Paths:
    """Where a photo's files are in the copy: templates, or a manifest."""

    def __init__(self, root: Path, templates: list[str], manifest: Path | None) -> None:
        self.root = root.resolve()
        self.templates = templates
        self.mapping: dict[int, list[str]] = {}
        if manifest is not None:
            self.mapping = read_manifest(manifest)
        for template in templates:
            if "{flickr_id}" not in template:
                raise SyncError(f"--path {template!r} must contain {{flickr_id}}")

    def of(self, flickr_id: int) -> list[Path]:
        names = [t.format(flickr_id=flickr_id) for t in self.templates]
        names += self.mapping.get(flickr_id, [])
        paths = []
        for name in names:
            path = (self.root / name).resolve()
            if path != self.root and self.root not in path.parents:
                raise SyncError(f"{name!r} for photo {flickr_id} is outside --root {self.root}")
            paths.append(path)
        return paths


def read_manifest(path: Path) -> dict[int, list[str]]:
    """Photo id -> relative paths: a JSON object ({"123": "a/123.jpg"} or lists of paths),
    or a CSV with columns flickr_id and path (a photo may have several rows)."""
    mapping: dict[int, list[str]] = {}
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SyncError(f"cannot read the manifest {path}: {error}") from error
    if path.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except ValueError as error:
            raise SyncError(f"the manifest {path} is not JSON: {error}") from error
        for key, value in data.items():
            mapping.setdefault(int(key), []).extend([value] if isinstance(value, str) else value)
        return mapping
    rows = csv.DictReader(text.splitlines())
    if not rows.fieldnames or not {"flickr_id", "path"} <= set(rows.fieldnames):
        raise SyncError(f"the manifest {path} needs the CSV columns flickr_id and path")
    for row in rows:
        mapping.setdefault(int(row["flickr_id"]), []).append(row["path"])
    return mapping


def delete_file(path: Path) -> bool:
    """Delete one file: True if it was there, False if it was already absent."""
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    if path.exists():
        raise OSError(f"{path} still exists after deleting it")
    return True


@dataclass
class Totals:
    removals: int = 0
    deleted: int = 0
    absent: int = 0
    remaining: int | None = None


def sync(args: argparse.Namespace, out: TextIO) -> Totals:
    root = Path(args.root)
    if not root.is_dir():
        raise SyncError(f"--root {root} is not a folder")
    paths = Paths(root, args.path or [], Path(args.manifest) if args.manifest else None)
    state_path = Path(args.state or root / f".optout-sync-{args.dataset}.json")
    log_path = Path(args.log or root / f".optout-sync-{args.dataset}.log")
    state = State.load(state_path)
    if args.from_start:
        state.applied = None
    api = Api(args.server, args.token, args.dataset, args.timeout)
    log = Log(log_path, out if args.verbose else None)
    totals = Totals()
    try:
        # A run killed after applying a page but before acknowledging it: do that first.
        if not args.dry_run and state.applied and state.applied != state.acknowledged:
            _acknowledge(api, state, log, totals)
        cursor = state.applied
        while True:
            page = api.feed(cursor, args.limit)
            for removal in page["removals"]:
                flickr_id = int(removal["flickr_id"])
                for path in paths.of(flickr_id):
                    _apply(path, flickr_id, args.dry_run, log, out, totals)
                totals.removals += 1
            unchanged = page["cursor"] == cursor == state.acknowledged
            cursor = page["cursor"]
            if not args.dry_run and not unchanged:
                log.sync()  # the deletions are on disk before the cursor that covers them
                state.applied = cursor
                state_save(state)
                _acknowledge(api, state, log, totals)
            if not page["has_more"]:
                break
    finally:
        log.close()
    return totals


def _apply(
    path: Path, flickr_id: int, dry_run: bool, log: Log, out: TextIO, totals: Totals
) -> None:
    if dry_run:
        there = path.exists()
        print(f"{'would delete' if there else 'absent      '} {path} (photo {flickr_id})", file=out)
        totals.deleted += there
        totals.absent += not there
        return
    try:
        was_there = delete_file(path)
    except OSError as error:
        log.write(f"error {flickr_id} {path}: {error}")
        log.sync()
        raise SyncError(
            f"could not delete {path} (photo {flickr_id}): {error}. Nothing from this page "
            "on was acknowledged; fix it and run again."
        ) from error
    log.write(f"{'deleted' if was_there else 'absent'} {flickr_id} {path}")
    totals.deleted += was_there
    totals.absent += not was_there


def _acknowledge(api: Api, state: State, log: Log, totals: Totals) -> None:
    assert state.applied is not None
    answer = api.acknowledge(state.applied)
    log.write(
        f"acknowledged {answer.get('confirmed', 0)} removal(s); "
        f"{answer.get('remaining', '?')} remaining"
    )
    log.sync()
    state.acknowledged = state.applied
    state_save(state)
    totals.remaining = answer.get("remaining")


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="optout_sync.py",
        description="Apply a dataset's removals to your copy, then acknowledge them.",
    )
    p.add_argument("--server", required=True, help="The optout site, e.g. https://optout.example")
    p.add_argument(
        "--token",
        default=os.environ.get("OPTOUT_TOKEN", ""),
        help="Your API token (or set OPTOUT_TOKEN, which keeps it out of the process list).",
    )
    p.add_argument("--dataset", required=True, help="The dataset's slug, e.g. diversity-in-faces")
    p.add_argument("--root", required=True, help="The folder holding your copy's files.")
    p.add_argument(
        "--path",
        action="append",
        metavar="TEMPLATE",
        help="A photo's file under --root, e.g. '{flickr_id}.jpg' (repeatable).",
    )
    p.add_argument(
        "--manifest",
        help="A CSV (columns flickr_id,path) or JSON ({id: path or [paths]}) of your files.",
    )
    p.add_argument("--state", help="State file (default: <root>/.optout-sync-<dataset>.json).")
    p.add_argument("--log", help="Log file (default: <root>/.optout-sync-<dataset>.log).")
    p.add_argument("--limit", type=int, default=PAGE, help=f"Removals per page (default {PAGE}).")
    p.add_argument("--timeout", type=float, default=60.0, help="Seconds per HTTP call.")
    p.add_argument(
        "--dry-run", action="store_true", help="List what would be deleted; change nothing."
    )
    p.add_argument("--from-start", action="store_true", help="Read the feed from its start again.")
    p.add_argument("--verbose", action="store_true", help="Print each file as it goes.")
    return p


def main(argv: list[str] | None = None, out: TextIO = sys.stdout) -> int:
    args = parser().parse_args(argv)
    if not args.token:
        print("optout_sync: give --token, or set OPTOUT_TOKEN", file=sys.stderr)
        return 2
    if not args.path and not args.manifest:
        print("optout_sync: give --path TEMPLATE or --manifest FILE", file=sys.stderr)
        return 2
    if not 1 <= args.limit <= 10_000:
        print("optout_sync: --limit is 1 to 10000", file=sys.stderr)
        return 2
    root = Path(args.root)
    lock_path = Path(args.state or root / f".optout-sync-{args.dataset}.json").with_suffix(".lock")
    try:
        lock = open(lock_path, "a")  # noqa: SIM115 (held for the whole run)
    except OSError as error:
        print(f"optout_sync: {error}", file=sys.stderr)
        return 1
    try:
        if fcntl is not None:
            try:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                print("optout_sync: another run holds the lock; leaving it to it", file=sys.stderr)
                return 3
        try:
            totals = sync(args, out)
        except SyncError as error:
            print(f"optout_sync: {error}", file=sys.stderr)
            return 1
    finally:
        lock.close()
    if args.dry_run:
        print(
            f"dry run: {totals.removals} removal(s); {totals.deleted} file(s) would be deleted, "
            f"{totals.absent} already absent; nothing changed, nothing acknowledged",
            file=out,
        )
    else:
        print(
            f"{totals.removals} removal(s) applied: {totals.deleted} file(s) deleted, "
            f"{totals.absent} already absent; {totals.remaining or 0} remaining on the server",
            file=out,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

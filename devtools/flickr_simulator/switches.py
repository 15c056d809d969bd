"""What owners did on the simulated Flickr since the datasets were made: a tag added,
a licence changed, a photo made private or deleted, an account deleted.

Switches lie over any directory, so the same owner's change shows in tests (set
from the test) and under `make run` (set on the simulator's /simulator/ page or by
load_demo, and kept in a file, so a restart or another process sees them).
"""

import json
import threading
from dataclasses import dataclass, field, replace
from pathlib import Path

from devtools.flickr_simulator.directory import SimPhoto


@dataclass
class _State:
    tags: dict[int, list[str]] = field(default_factory=dict)
    licenses: dict[int, int] = field(default_factory=dict)
    private: set[int] = field(default_factory=set)
    deleted: set[int] = field(default_factory=set)
    gone: set[str] = field(default_factory=set)  # deleted accounts


class Switches:
    """The owners' changes; with `path`, kept in a JSON file and re-read when it changes."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._lock = threading.RLock()
        self._state = _State()
        self._mtime = -1.0

    # -- what an owner does ---------------------------------------------------------
    def tag(self, photo_id: int, raw: str) -> None:
        with self._changing() as state:
            tags = state.tags.setdefault(int(photo_id), [])
            if raw not in tags:
                tags.append(raw)

    def relicense(self, photo_id: int, license: int) -> None:
        with self._changing() as state:
            state.licenses[int(photo_id)] = int(license)

    def make_private(self, photo_id: int) -> None:
        with self._changing() as state:
            state.private.add(int(photo_id))

    def delete_photo(self, photo_id: int) -> None:
        with self._changing() as state:
            state.deleted.add(int(photo_id))

    def delete_account(self, nsid: str) -> None:
        with self._changing() as state:
            state.gone.add(nsid)

    def clear(self) -> None:
        with self._changing() as state:
            state.tags.clear()
            state.licenses.clear()
            state.private.clear()
            state.deleted.clear()
            state.gone.clear()

    # -- what Flickr then answers ---------------------------------------------------
    def account_gone(self, nsid: str) -> bool:
        return nsid in self._read().gone

    def apply(self, photo: SimPhoto | None) -> SimPhoto | None:
        """The photo as Flickr has it now; None once it or its account is deleted."""
        if photo is None:
            return None
        state = self._read()
        if photo.id in state.deleted or photo.owner_nsid in state.gone:
            return None
        return replace(
            photo,
            tags=photo.tags + tuple(t for t in state.tags.get(photo.id, ()) if t not in photo.tags),
            license=state.licenses.get(photo.id, photo.license),
            public=photo.public and photo.id not in state.private,
        )

    def describe(self) -> list[str]:
        """One line per switch that is on, for the simulator's page."""
        state = self._read()
        lines = [f"photo {i}: tagged {', '.join(tags)}" for i, tags in sorted(state.tags.items())]
        lines += [f"photo {i}: licence {n}" for i, n in sorted(state.licenses.items())]
        lines += [f"photo {i}: private" for i in sorted(state.private)]
        lines += [f"photo {i}: deleted" for i in sorted(state.deleted)]
        lines += [f"account {nsid}: deleted" for nsid in sorted(state.gone)]
        return lines

    # -- the file -------------------------------------------------------------------
    def _read(self) -> _State:
        with self._lock:
            if self.path is not None and self.path.is_file():
                mtime = self.path.stat().st_mtime
                if mtime != self._mtime:
                    self._state = _load(self.path)
                    self._mtime = mtime
            return self._state

    def _changing(self) -> "_Change":
        return _Change(self)

    def _save(self) -> None:
        if self.path is None:
            return
        state = self._state
        data = {
            "tags": {str(k): v for k, v in state.tags.items()},
            "licenses": {str(k): v for k, v in state.licenses.items()},
            "private": sorted(state.private),
            "deleted": sorted(state.deleted),
            "gone": sorted(state.gone),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(data, indent=1), encoding="utf-8")
        temporary.replace(self.path)
        self._mtime = self.path.stat().st_mtime


class _Change:
    """Read the file, change the state, write it back, under the lock."""

    def __init__(self, switches: Switches) -> None:
        self.switches = switches

    def __enter__(self) -> _State:
        self.switches._lock.acquire()
        return self.switches._read()

    def __exit__(self, *exc: object) -> None:
        try:
            if exc[0] is None:
                self.switches._save()
        finally:
            self.switches._lock.release()


def _load(path: Path) -> _State:
    data = json.loads(path.read_text(encoding="utf-8") or "{}")
    return _State(
        tags={int(k): list(v) for k, v in data.get("tags", {}).items()},
        licenses={int(k): int(v) for k, v in data.get("licenses", {}).items()},
        private={int(i) for i in data.get("private", [])},
        deleted={int(i) for i in data.get("deleted", [])},
        gone=set(data.get("gone", [])),
    )

"""The hashes, in memory, searched by brute force: XOR and popcount over packed words.

Each web process holds every matchable hash (quality 50 and up) as four
columns of 64-bit words, with the photo and dataset it belongs to: 48 bytes
a hash, 48 MB for a million. A search XORs the picture's eight variants into
the first two words of a block of rows (a block stays in the CPU's cache),
counts the differing bits, and keeps the rows within the distance on those
128 bits alone; only those few are counted on all 256. Unrelated hashes
differ in about half their bits, so the first half already tells them apart.

The index follows the table. A search first asks it for its last id and
newest hash time (two index look-ups; at most every CHECK_EVERY_SECONDS, and
at once after this process hashed something), reads only the rows added since
when that explains the change, and reads it all again otherwise (a re-hash).
Counting the rows, which catches a deleted dataset and rows committed out of
id order (two hashing runs at once), reads the whole table's index (a cost that
grows with the table), so it is done every COUNT_EVERY_SECONDS only. A hash whose photo
is gone is harmless meanwhile: the search reads the matched photos from the
photo table, and a missing one matches nothing.
"""

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

import numpy as np
from django.db.models import Count, Max

from optout.models import PictureHash
from optout.pictures.pdq import HASH_BYTES, MAX_DISTANCE, MIN_QUALITY

CHECK_EVERY_SECONDS: Final = 5.0
COUNT_EVERY_SECONDS: Final = 300.0
# Rows per read while loading; rows per block while searching.
LOAD_ROWS: Final = 50_000
BLOCK_ROWS: Final = 16_384
WORDS: Final = HASH_BYTES // 8


@dataclass(frozen=True, slots=True)
class Stamp:
    rows: int  # -1: not counted
    last_id: int
    newest: datetime | None

    def agrees(self, other: "Stamp") -> bool:
        """The same table, as far as both looked."""
        counted = self.rows < 0 or other.rows < 0 or self.rows == other.rows
        return counted and (self.last_id, self.newest) == (other.last_id, other.newest)


@dataclass(frozen=True, slots=True)
class Match:
    photo_id: int
    dataset_id: int
    distance: int


@dataclass(frozen=True, slots=True)
class _Loaded:
    words: np.ndarray  # (WORDS, n) uint64
    photo_ids: np.ndarray  # (n,) int64
    dataset_ids: np.ndarray  # (n,) int64
    stamp: Stamp = field(default_factory=lambda: Stamp(0, 0, None))

    @property
    def nbytes(self) -> int:
        return self.words.nbytes + self.photo_ids.nbytes + self.dataset_ids.nbytes


def _empty() -> _Loaded:
    return _Loaded(np.empty((WORDS, 0), np.uint64), np.empty(0, np.int64), np.empty(0, np.int64))


def _table_stamp(*, count: bool) -> Stamp:
    if count:
        row = PictureHash.objects.aggregate(
            rows=Count("id"), last_id=Max("id"), newest=Max("hashed_at")
        )
    else:
        row = PictureHash.objects.aggregate(last_id=Max("id"), newest=Max("hashed_at"))
    return Stamp(row.get("rows", -1), row["last_id"] or 0, row["newest"])


def _read(after_id: int) -> tuple[_Loaded, int, int, datetime | None]:
    """Matchable rows with id > after_id: (them, rows read, last id, newest hash time)."""
    words, photos, datasets = [], [], []
    rows = 0
    last_id = after_id
    newest: datetime | None = None
    while True:
        chunk = list(
            PictureHash.objects.filter(id__gt=last_id)
            .order_by("id")
            .values_list("id", "photo_id", "dataset_id", "pdq", "quality", "hashed_at")[:LOAD_ROWS]
        )
        if not chunk:
            break
        rows += len(chunk)
        last_id = chunk[-1][0]
        newest = _later(newest, max(row[5] for row in chunk))
        kept = [row for row in chunk if row[4] >= MIN_QUALITY and len(row[3]) == HASH_BYTES]
        if kept:
            packed = np.frombuffer(b"".join(bytes(row[3]) for row in kept), np.uint64)
            words.append(packed.reshape(-1, WORDS).T)
            photos.append(np.fromiter((row[1] for row in kept), np.int64, len(kept)))
            datasets.append(np.fromiter((row[2] for row in kept), np.int64, len(kept)))
        if len(chunk) < LOAD_ROWS:
            break
    if not words:
        return _empty(), rows, last_id, newest
    loaded = _Loaded(
        np.ascontiguousarray(np.concatenate(words, axis=1)),
        np.concatenate(photos),
        np.concatenate(datasets),
    )
    return loaded, rows, last_id, newest


def _joined(old: _Loaded, new: _Loaded, stamp: Stamp) -> _Loaded:
    return _Loaded(
        np.ascontiguousarray(np.concatenate([old.words, new.words], axis=1)),
        np.concatenate([old.photo_ids, new.photo_ids]),
        np.concatenate([old.dataset_ids, new.dataset_ids]),
        stamp,
    )


class PictureIndex:
    """One per process (`picture_index()`); safe to search from several threads at once."""

    def __init__(self) -> None:
        self._loaded = _empty()
        self._ever_loaded = False
        self._checked_at = 0.0
        self._counted_at = 0.0
        self._stale = True
        self._lock = threading.Lock()
        self._fixed = False
        self.loads = 0  # full reads of the table, for the tests and the benchmark

    @classmethod
    def of(cls, hashes: list[bytes], photo_ids: list[int]) -> "PictureIndex":
        """An index of these hashes alone, that never reads the table (the benchmark)."""
        fixed = cls()
        packed = np.frombuffer(b"".join(hashes), np.uint64).reshape(-1, WORDS)
        ids = np.asarray(photo_ids, np.int64)
        fixed._loaded = _Loaded(np.ascontiguousarray(packed.T), ids, np.zeros_like(ids))
        fixed._ever_loaded = fixed._fixed = True
        return fixed

    @property
    def size(self) -> int:
        return int(self._loaded.photo_ids.shape[0])

    @property
    def nbytes(self) -> int:
        return self._loaded.nbytes

    def invalidate(self) -> None:
        """Check the table on the next search (this process just wrote to it)."""
        self._stale = True

    def reset(self) -> None:
        with self._lock:
            self._loaded = _empty()
            self._ever_loaded = False
            self._stale = True
            self.loads = 0

    def refresh(self) -> None:
        """Bring the index up to the table, if it is time to look."""
        if self._fixed:
            return
        if not self._stale and time.monotonic() - self._checked_at < CHECK_EVERY_SECONDS:
            return
        # Another thread reading the table: search what is loaded, unless nothing is yet.
        if not self._lock.acquire(blocking=not self._ever_loaded):
            return
        try:
            self._stale = False
            now = self._checked_at = time.monotonic()
            count = not self._ever_loaded or now - self._counted_at >= COUNT_EVERY_SECONDS
            stamp = _table_stamp(count=count)
            if count:
                self._counted_at = now
            current = self._loaded
            if self._ever_loaded and stamp.agrees(current.stamp):
                return
            if self._ever_loaded and stamp.last_id > current.stamp.last_id:
                added, rows, last_id, newest = _read(current.stamp.last_id)
                newest = _later(current.stamp.newest, newest)
                seen = Stamp(current.stamp.rows + rows, last_id, newest)
                if seen.agrees(stamp):
                    self._loaded = _joined(current, added, seen)
                    return
            loaded, rows, last_id, newest = _read(0)
            self._loaded = _Loaded(
                loaded.words, loaded.photo_ids, loaded.dataset_ids, Stamp(rows, last_id, newest)
            )
            self._ever_loaded = True
            self._counted_at = now
            self.loads += 1
        finally:
            self._lock.release()

    def search(self, hashes: tuple[bytes, ...], *, max_distance: int = MAX_DISTANCE) -> list[Match]:
        """Every indexed hash within `max_distance` of any of `hashes`, nearest first."""
        self.refresh()
        loaded = self._loaded
        query = np.frombuffer(b"".join(hashes), np.uint64).reshape(-1, WORDS)
        words = loaded.words
        total = words.shape[1]
        best: dict[int, Match] = {}
        block = min(BLOCK_ROWS, max(total, 1))
        xored = np.empty(block, np.uint64)
        first = np.empty(block, np.uint8)
        second = np.empty(block, np.uint8)
        near = np.empty(block, np.bool_)
        for start in range(0, total, block):
            end = min(total, start + block)
            n = end - start
            for variant in query:
                # The first 128 bits: a row further than max_distance there is further in all.
                np.bitwise_xor(words[0, start:end], variant[0], out=xored[:n])
                np.bitwise_count(xored[:n], out=first[:n])
                np.bitwise_xor(words[1, start:end], variant[1], out=xored[:n])
                np.bitwise_count(xored[:n], out=second[:n])
                np.add(first[:n], second[:n], out=first[:n])
                np.less_equal(first[:n], max_distance, out=near[:n])
                if not near[:n].any():
                    continue
                rows = np.flatnonzero(near[:n]) + start
                distances = np.bitwise_count(words[:, rows] ^ variant[:, None]).sum(
                    axis=0, dtype=np.int64
                )
                for row, dist in zip(rows.tolist(), distances.tolist(), strict=True):
                    if dist > max_distance:
                        continue
                    photo_id = int(loaded.photo_ids[row])
                    if photo_id not in best or best[photo_id].distance > dist:
                        best[photo_id] = Match(photo_id, int(loaded.dataset_ids[row]), dist)
        return sorted(best.values(), key=lambda match: (match.distance, match.photo_id))


def _later(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None or b is None:
        return a or b
    return max(a, b)


_index = PictureIndex()


def picture_index() -> PictureIndex:
    """This process's index."""
    return _index

"""The far side of the storage API for the deletion tests: local files, plus the
faults a test asks for. Steered by files beside the stored ones, so a worker
process sees the same faults as the test that set them up.

- `<name>.fail-once`: the next delete of `<name>` raises OSError, once.
- `<name>.broken`: every delete of `<name>` raises OSError.
- `<name>.stuck`: deleting `<name>` silently leaves it there (verification must notice).
- `DELETION_TEST_DELETE_DELAY` (seconds, environment): each delete sleeps first,
  so a test can kill a worker in the middle of a job.

Every delete of a file that existed is appended to `deletions.log` in MEDIA_ROOT:
one line per file actually removed, which is how the tests see "exactly once".
"""

import os
import time

from django.core.files.storage import FileSystemStorage, Storage

LOG_NAME = "deletions.log"


class FaultyStorage(FileSystemStorage):
    def delete(self, name: str) -> None:
        delay = float(os.environ.get("DELETION_TEST_DELETE_DELAY", "0"))
        if delay:
            time.sleep(delay)
        path = self.path(name)
        if os.path.exists(path + ".broken"):
            raise OSError(f"storage unavailable for {name} (a test fault)")
        try:
            os.remove(path + ".fail-once")
        except FileNotFoundError:
            pass
        else:
            raise OSError(f"storage unavailable for {name} (a test fault)")
        if os.path.exists(path + ".stuck") or not os.path.exists(path):
            return
        super().delete(name)
        with open(os.path.join(self.location, LOG_NAME), "a", encoding="utf-8") as log:
            log.write(f"{name}\n")


def deletions(storage: Storage) -> list[str]:
    """The names deleted so far, one line per file that existed, in order."""
    try:
        with open(storage.path(LOG_NAME), encoding="utf-8") as log:
            return log.read().split()
    except FileNotFoundError:
        return []

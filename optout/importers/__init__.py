"""Manifest importers: readers for YFCC100M, CSV, JSON lines and FFHQ, and the bulk loader.

- `sources`: open a file (plain, gzip, bzip2, xz by magic bytes) and decide its format;
- `rows`, `readers` and `yfcc`: the row type, field rules and format readers, no database;
- `loader`: staging table and the one set-based merge into the photo table;
- `service`: `dataset_import`, the use-case the commands call.

`rows`, `readers`, `sources` and `yfcc` import without Django; the service is loaded on
first use, so `from optout.importers import dataset_import` still works.
"""

from typing import Any

from optout.importers.sources import FORMATS, ImportProblem, ManifestError

__all__ = ["FORMATS", "ImportProblem", "ImportSummary", "ManifestError", "dataset_import"]


def __getattr__(name: str) -> Any:
    if name in ("ImportSummary", "dataset_import"):
        from optout.importers import service  # noqa: PLC0415 (lazy on purpose: see above)

        return getattr(service, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

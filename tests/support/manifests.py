"""Small manifest files for the importer tests, written the way the real ones are."""

import bz2
import gzip
import json
from pathlib import Path
from typing import Any

from optout.importers.yfcc import yfcc_line

NSID = "12345678@N01"
OTHER_NSID = "87654321@N05"


def yfcc_row(photo_id: Any = 5_000_000_001, columns: int = 23, **values: Any) -> str:
    """A YFCC100M row; keyword arguments override columns by their names in yfcc.YFCC_25."""
    nsid = values.get("user_nsid", NSID)
    row = {
        "line_number": 0,
        "photo_id": photo_id,
        "photo_hash": "4f6a6b1c3e6a1f0d2b9c8e7a6d5c4b3a",
        "user_nsid": nsid,
        "user_nickname": "john doe",
        "date_taken": "2010-05-01 12:34:56.0",
        "date_uploaded": "1272700000",
        "capture_device": "Canon EOS 400D DIGITAL",
        "title": f"Photo {photo_id}",
        "description": "At the beach",
        "user_tags": "beach,family",
        "page_url": f"http://www.flickr.com/photos/{nsid}/{photo_id}/",
        "download_url": f"http://farm5.staticflickr.com/4036/{photo_id}_03a71b7bbb.jpg",
        "license_name": "Attribution License",
        "license_url": "http://creativecommons.org/licenses/by/2.0/",
        "server_id": "4036",
        "farm_id": "5",
        "secret": "03a71b7bbb",
        "secret_original": "62ffbfb29f",
        "original_extension": "jpg",
        "marker": 0,
    }
    return yfcc_line(row | values, columns)


def write(path: Path, text: str | bytes, packing: str = "") -> Path:
    data = text.encode() if isinstance(text, str) else text
    if packing == "gzip":
        data = gzip.compress(data)
    elif packing == "bzip2":
        data = bz2.compress(data)
    path.write_bytes(data)
    return path


def yfcc_file(path: Path, rows: list[str], packing: str = "") -> Path:
    return write(path, "".join(row + "\n" for row in rows), packing)


def ffhq_entry(photo_url: str, index: int = 0, author: str = "Jeremy Frumkin") -> dict[str, Any]:
    folder = f"{index // 1000 * 1000:05d}"
    return {
        "category": "training",
        "metadata": {
            "photo_url": photo_url,
            "photo_title": "DSCF0899.JPG",
            "author": author,
            "country": "",
            "license": "Attribution-NonCommercial License",
            "license_url": "https://creativecommons.org/licenses/by-nc/2.0/",
            "date_uploaded": "2007-08-16",
            "date_crawled": "2018-10-10",
        },
        "image": {
            "file_path": f"images1024x1024/{folder}/{index:05d}.png",
            "face_landmarks": [[131.62, 453.8], [136.38, 530.02]],
        },
        "thumbnail": {"file_path": f"thumbnails128x128/{folder}/{index:05d}.png"},
        "in_the_wild": {
            "file_path": f"in-the-wild-images/{folder}/{index:05d}.png",
            "face_rect": [667, 410, 1438, 1181],
        },
    }


def ffhq_file(path: Path, urls: list[str], packing: str = "") -> Path:
    entries = {str(i): ffhq_entry(url, i) for i, url in enumerate(urls)}
    return write(path, json.dumps(entries, indent=2), packing)

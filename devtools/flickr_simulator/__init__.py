"""A local Flickr: OAuth 1.0a (checked for real by oauthlib) and three REST methods.

Used by the tests (in a thread) and by `make run` (manage.py flickr_simulator)
when no FLICKR_API_KEY is set and DEBUG is on. Never part of production.
"""

from devtools.flickr_simulator.app import FAULTS, FlickrSimulator
from devtools.flickr_simulator.directory import (
    Account,
    Directory,
    MemoryDirectory,
    PhotoTableDirectory,
    SimPhoto,
)
from devtools.flickr_simulator.server import RunningSimulator, serve_forever, unused_port

__all__ = [
    "FAULTS",
    "Account",
    "Directory",
    "FlickrSimulator",
    "MemoryDirectory",
    "PhotoTableDirectory",
    "RunningSimulator",
    "SimPhoto",
    "serve_forever",
    "unused_port",
]

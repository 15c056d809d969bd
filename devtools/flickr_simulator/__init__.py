"""A local Flickr: OAuth 1.0a (checked for real by oauthlib) and the REST methods we
call (look-ups, an owner's public photos, a photo's details, an account), with
switches for what owners do on Flickr and the ways Flickr fails.

Used by the tests (in a thread) and by `make run` (manage.py flickr_simulator)
when no FLICKR_API_KEY is set and DEBUG is on. Never part of production.
"""

from devtools.flickr_simulator.app import FAULT_MODES, FAULTS, FlickrSimulator, clean_tag
from devtools.flickr_simulator.directory import (
    Account,
    Directory,
    MemoryDirectory,
    PhotoTableDirectory,
    SimPhoto,
    other_photo_ids,
    world_write,
)
from devtools.flickr_simulator.server import RunningSimulator, serve_forever, unused_port
from devtools.flickr_simulator.switches import Switches

__all__ = [
    "FAULTS",
    "FAULT_MODES",
    "Account",
    "Directory",
    "FlickrSimulator",
    "MemoryDirectory",
    "PhotoTableDirectory",
    "RunningSimulator",
    "SimPhoto",
    "Switches",
    "clean_tag",
    "other_photo_ids",
    "serve_forever",
    "unused_port",
    "world_write",
]

"""The data layer. `from optout.models import Dataset, Photo, Suppression, RemovalRequest`
is a contract: operators' scripts rely on it.

- registry: Dataset, its releases, Photo, Suppression (what is in a dataset, what must stay out).
- requests: RemovalRequest and what hangs off it (photos, links, events).
- outbox: EmailLog and DeletionJob, the rows that make background work durable.
- pictures: PictureHash, the perceptual hashes of the datasets' stored pictures.
- licensees: who holds a copy of a dataset, the removal feed, acknowledgements, webhooks.
- flickr: a signed-in owner's photo listing, the re-check's passes, owners and signals.
"""

from optout.models.flickr import FlickrSignal, PhotoListing, RecheckOwner, RecheckPass
from optout.models.licensees import (
    Acknowledgement,
    DatasetFeed,
    FeedEntry,
    Licensee,
    LicenseeDataset,
    LicenseeNotice,
    WebhookAttempt,
    WebhookDelivery,
)
from optout.models.outbox import DeletionJob, EmailLog
from optout.models.pictures import PictureHash
from optout.models.registry import Dataset, DatasetRelease, Photo, Suppression
from optout.models.requests import (
    CLOSED_STATUSES,
    RejectReason,
    RemovalRequest,
    RequestEvent,
    RequestLink,
    RequestPhoto,
)

__all__ = [
    "CLOSED_STATUSES",
    "Acknowledgement",
    "Dataset",
    "DatasetFeed",
    "DatasetRelease",
    "DeletionJob",
    "EmailLog",
    "FeedEntry",
    "FlickrSignal",
    "Licensee",
    "LicenseeDataset",
    "LicenseeNotice",
    "Photo",
    "PhotoListing",
    "PictureHash",
    "RecheckOwner",
    "RecheckPass",
    "RejectReason",
    "RemovalRequest",
    "RequestEvent",
    "RequestLink",
    "RequestPhoto",
    "Suppression",
    "WebhookAttempt",
    "WebhookDelivery",
]

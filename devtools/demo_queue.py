"""The demo's queue: requests in each state a maintainer meets, filed through the real
services so that each has its real timeline, emails and deletion jobs.

- reports from people shown in a photo, confirmed and waiting for review;
- owners' requests waiting for review, two past their deadline and two due within
  five days;
- a failed deletion, its job holding the storage error, ready for "Retry";
- completed requests, deleted by the real pipeline, each with its receipt.

Every request is filed now and then moved back in time (its row, its events, its
jobs and its removed photos), as if it had been filed that many days ago. Each one
is known by its address, so running the demo again files nothing twice.
"""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, QuerySet
from django.test.utils import override_settings
from django.utils import timezone

from devtools import demo
from optout import secret_links, workflow
from optout.deletion import job_fail, job_run
from optout.models import DeletionJob, Photo, RemovalRequest, RequestEvent, RequestLink
from optout.requests import confirmation, filing, review

S = RemovalRequest.Status
MAINTAINER = "maintainer@demo.example"
MAINTAINER_ACTOR = review.maintainer_actor(username=MAINTAINER)


@dataclass(frozen=True)
class Scenario:
    email: str  # the key: a request with this address means the scenario is there
    days_ago: float
    file: Callable[["Scenario"], RemovalRequest]
    note: str  # what the maintainer finds, for load_demo's summary


def _owner_file(
    scenario: Scenario, *, confirm: bool = True, only_in: str | None = None
) -> RemovalRequest:
    """An owner's request after signing in with Flickr, left for a maintainer."""
    owner = _free_owner(only_in=only_in)
    with override_settings(AUTO_APPROVE_OWNER_REQUESTS=False):
        filed = filing.request_create(
            identity=filing.Identity(nsid=owner.nsid, username=owner.username),
            email=scenario.email,
            photo_ids=None,
            future_releases=owner.nsid[-1] in "02468",
        )
    if confirm:
        token = secret_links.link_mint(removal=filed.removal, purpose=RequestLink.Purpose.CONFIRM)
        confirmation.email_confirm(token=token)
    return filed.removal


def _shown_file(scenario: Scenario) -> RemovalRequest:
    """A person shown in someone else's photos: their report, confirmed, waiting for review."""
    owner = _free_owner()
    photos = list(_present(owner.nsid).order_by("flickr_id")[:3])
    removal = filing.shown_request_create(
        email=scenario.email,
        links_text="\n".join(photo.page_url or str(photo.flickr_id) for photo in photos),
        relation="I am the person in these photos.",
        statement=(
            "A friend took these at my birthday party in 2009 and put them on Flickr. "
            "I never agreed to be in a face-recognition dataset."
        ),
    )
    token = secret_links.link_mint(removal=removal, purpose=RequestLink.Purpose.CONFIRM)
    return confirmation.email_confirm(token=token)


def _failed_file(scenario: Scenario) -> RemovalRequest:
    """Approved, deleted from all but one dataset, and given up on a storage error in
    the last: one for "Retry"."""
    removal = _owner_file(scenario)
    # One transaction: the jobs' tasks go out on commit, by which time the last job has
    # failed, so a worker already running leaves it alone until a maintainer retries.
    with transaction.atomic():
        review.request_approve(removal=removal, actor=MAINTAINER_ACTOR)
        *others, last = removal.deletion_jobs.order_by("pk").values_list("pk", flat=True)
        for job_id in others:
            job_run(job_id=job_id)
        if removal.status == S.APPROVED and not others:
            workflow.request_move(
                removal=removal, to=S.DELETING, actor="system", why="Deletion started."
            )
        DeletionJob.objects.filter(pk=last).update(
            status=DeletionJob.Status.RUNNING,
            attempts=settings.DELETION_MAX_ATTEMPTS,
            started_at=timezone.now(),
        )
        # What a storage outage leaves on a job: the maintainer reads it before "Retry".
        # Its ERROR log line would read as the demo itself breaking: kept quiet.
        with _quiet("optout.deletion.jobs"):
            job_fail(job_id=last, error=OSError(5, "Input/output error"))
    removal.refresh_from_db()
    return removal


def _completed_file(scenario: Scenario) -> RemovalRequest:
    """Approved by the maintainer and deleted by the real pipeline: a receipt to download.
    An owner in FFHQ only: the demo licensee's Diversity in Faces feed, which its walk
    (docs/licensees.md) follows, starts with nothing in it."""
    removal = _owner_file(scenario, only_in=demo.FFHQ["slug"])
    review.request_approve(removal=removal, actor=MAINTAINER_ACTOR)
    for job_id in removal.deletion_jobs.values_list("pk", flat=True):
        job_run(job_id=job_id)  # its queued task later finds the job done
    removal.refresh_from_db()
    return removal


SCENARIOS = (
    Scenario("lena.shown@demo.example", 2, _shown_file, "a shown-in-photo report to review"),
    Scenario("tomas.shown@demo.example", 6, _shown_file, "a shown-in-photo report to review"),
    Scenario("owner.late1@demo.example", 36, _owner_file, "an owner's request past its deadline"),
    Scenario("owner.late2@demo.example", 33, _owner_file, "an owner's request past its deadline"),
    Scenario("owner.soon1@demo.example", 27, _owner_file, "an owner's request due in 3 days"),
    Scenario("owner.soon2@demo.example", 26, _owner_file, "an owner's request due in 4 days"),
    Scenario("owner.failed@demo.example", 4, _failed_file, "a failed deletion to retry"),
    Scenario("owner.done1@demo.example", 12, _completed_file, "a completed request"),
    Scenario("owner.done2@demo.example", 20, _completed_file, "a completed request"),
)


@dataclass(frozen=True)
class QueueFilled:
    filed: list[tuple[RemovalRequest, str]]  # new this run, with what it shows
    present: int  # demo requests already there

    def lines(self) -> list[str]:
        if not self.filed:
            return [f"Demo queue: {self.present} requests already there, nothing new filed."]
        return [f"Demo queue: filed {len(self.filed)} requests for the maintainers:"] + [
            f"  {removal.public_id} ({removal.get_status_display()}): {note}"
            for removal, note in self.filed
        ]


def demo_queue_fill() -> QueueFilled:
    """File the scenarios not filed yet (by their address), each moved back in time."""
    filed: list[tuple[RemovalRequest, str]] = []
    present = 0
    for scenario in SCENARIOS:
        if RemovalRequest.objects.filter(email=scenario.email).exists():
            present += 1
            continue
        removal = scenario.file(scenario)
        _backdate(removal, timedelta(days=scenario.days_ago))
        removal.refresh_from_db()
        filed.append((removal, scenario.note))
    return QueueFilled(filed, present)


@contextmanager
def _quiet(name: str) -> Iterator[None]:
    logger = logging.getLogger(name)
    was, logger.disabled = logger.disabled, True
    try:
        yield
    finally:
        logger.disabled = was


def _free_owner(*, only_in: str | None = None) -> demo.DemoOwner:
    """The next demo owner with a few present photos (all in dataset `only_in`, if given),
    in no request yet and not one of the owners load_demo suggests trying (their photos
    stay there to find)."""
    taken = set(RemovalRequest.objects.exclude(owner_nsid="").values_list("owner_nsid", flat=True))
    taken |= set(
        Photo.objects.filter(requestphoto__isnull=False).values_list("owner_nsid", flat=True)
    )
    taken |= {owner.nsid for owner, _ in demo.owners_to_try()}
    candidates = {owner.nsid: owner for owner in demo.owners() if owner.nsid not in taken}
    counts = dict(
        Photo.objects.filter(owner_nsid__in=candidates, state=Photo.State.PRESENT)
        .values_list("owner_nsid")
        .annotate(n=Count("id"))
        .values_list("owner_nsid", "n")
    )
    elsewhere: set[str] = set()
    if only_in:
        elsewhere = set(
            Photo.objects.filter(owner_nsid__in=candidates)
            .exclude(dataset__slug=only_in)
            .values_list("owner_nsid", flat=True)
        )
    for nsid, owner in candidates.items():
        if 3 <= counts.get(nsid, 0) <= 12 and nsid not in elsewhere:
            return owner
    raise LookupError("No demo owner left with a few photos to file a request for.")


def _present(nsid: str) -> QuerySet[Photo]:
    return Photo.objects.filter(owner_nsid=nsid, state=Photo.State.PRESENT)


def _backdate(removal: RemovalRequest, age: timedelta) -> None:
    """Move a request filed just now back by `age`: its steps spread over the first
    days after filing, its deadline with it, and what it removed at its last step."""
    events = list(removal.events.order_by("at", "pk"))
    start = timezone.now() - age
    step = min(age / (len(events) + 1), timedelta(days=1))
    for number, event in enumerate(events):
        RequestEvent.objects.filter(pk=event.pk).update(at=start + step * number)
    last = start + step * max(len(events) - 1, 0)
    RemovalRequest.objects.filter(pk=removal.pk).update(
        created_at=start,
        deadline=F("deadline") - age,
        updated_at=last,
        email_confirmed_at=start + step if removal.email_confirmed_at else None,
        closed_at=last if removal.closed_at else None,
    )
    DeletionJob.objects.filter(request=removal).update(
        queued_at=last - step, started_at=last - step, finished_at=last, heartbeat_at=last
    )
    Photo.objects.filter(removed_by=removal).update(removed_at=last)

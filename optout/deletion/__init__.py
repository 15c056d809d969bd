"""The deletion pipeline: an approved request's photos out of every dataset we hold.

- jobs: one DeletionJob per dataset of an approved request (the outbox row),
  sending, sweeping, backoff, failing.
- runner: a worker's claim, batches, verification and finish of one job.
- suppressions: what keeps a removed photo, or an owner, out of every future import.
"""

from optout.deletion.jobs import (
    FAILED_WHY,
    STOPPED_ERROR,
    TRANSIENT_ERRORS,
    backoff,
    job_fail,
    job_release,
    jobs_enqueue,
    jobs_prepare,
    jobs_sweep,
)
from optout.deletion.runner import ClaimLost, VerificationFailed, job_run

__all__ = [
    "FAILED_WHY",
    "STOPPED_ERROR",
    "TRANSIENT_ERRORS",
    "ClaimLost",
    "VerificationFailed",
    "backoff",
    "job_fail",
    "job_release",
    "job_run",
    "jobs_enqueue",
    "jobs_prepare",
    "jobs_sweep",
]

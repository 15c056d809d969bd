"""The figures at the top of the admin index, all computed on the server."""

import statistics
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TypedDict

from django.conf import settings
from django.db.models import Count, F, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext

from optout import licensees, recheck
from optout.models import CLOSED_STATUSES, EmailLog, RemovalRequest

S = RemovalRequest.Status
WEEKS = 12
MEDIAN_WINDOW = timedelta(days=90)
# Emails given up on within this window count as failing: a maintainer may
# still reach the requester another way.
EMAILS_FAILING_WINDOW = timedelta(days=30)


class StateCount(TypedDict):
    status: str
    label: str
    count: int


@dataclass(frozen=True)
class Week:
    start: date
    filed: int
    completed: int
    filed_pct: int  # bar heights, relative to the busiest week
    completed_pct: int

    @property
    def label(self) -> str:
        """What the week's bars say, for a tooltip and a screen reader: "Week of 3 Dec:
        2 filed, 1 completed" (MONTH_DAY_FORMAT: the page's language's own, "3. Dezember")."""
        filed = ngettext("%(count)s filed", "%(count)s filed", self.filed) % {"count": self.filed}
        completed = ngettext("%(count)s completed", "%(count)s completed", self.completed) % {
            "count": self.completed
        }
        return gettext("Week of %(week)s: %(filed)s, %(completed)s") % {
            "week": date_format(self.start, "MONTH_DAY_FORMAT"),
            "filed": filed,
            "completed": completed,
        }

    @property
    def filed_bar(self) -> "Bar":
        return Bar(self.filed_pct)

    @property
    def completed_bar(self) -> "Bar":
        return Bar(self.completed_pct)


@dataclass(frozen=True)
class Bar:
    """A bar in the 100-unit-high SVG box, drawn from the bottom; an empty week
    still shows a sliver, so it reads as "none" rather than missing."""

    pct: int

    @property
    def height(self) -> int:
        return max(self.pct, 1)

    @property
    def top(self) -> int:
        return 100 - self.height


def overdue_requests() -> QuerySet[RemovalRequest]:
    """Open requests past their deadline, in the queue (not waiting for an email)."""
    return (
        RemovalRequest.objects.exclude(status__in=CLOSED_STATUSES)
        .exclude(status=S.PENDING_EMAIL)
        .filter(deadline__lt=timezone.now())
    )


def _week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _per_week(dates: list[date], first: date) -> dict[date, int]:
    counts: dict[date, int] = {}
    for day in dates:
        start = _week_start(day)
        if start >= first:
            counts[start] = counts.get(start, 0) + 1
    return counts


def dashboard_figures(now: datetime | None = None) -> dict[str, object]:
    now = now or timezone.now()
    by_state = dict(
        RemovalRequest.objects.exclude(status__in=CLOSED_STATUSES)
        .values_list("status")
        .annotate(n=Count("pk"))
        .values_list("status", "n")
    )
    open_states: list[StateCount] = [
        {"status": status, "label": str(label), "count": by_state.get(status, 0)}
        for status, label in S.choices
        if status not in CLOSED_STATUSES
    ]
    durations = [
        (closed - created).total_seconds() / 86400
        for created, closed in RemovalRequest.objects.filter(
            status=S.COMPLETED, closed_at__gte=now - MEDIAN_WINDOW
        ).values_list("created_at", "closed_at")
        if closed is not None  # never, past closed_at__gte; it tells mypy so
    ]
    median_days = round(statistics.median(durations), 1) if durations else None

    # Dates, not week truncation in SQL: TruncWeek differs between SQLite and
    # PostgreSQL time zones, and twelve weeks of dates are few rows.
    first = _week_start((now - timedelta(weeks=WEEKS - 1)).date())
    since = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    filed = _per_week(
        list(
            RemovalRequest.objects.filter(created_at__gte=since)
            .annotate(day=TruncDate("created_at"))
            .values_list("day", flat=True)
        ),
        first,
    )
    completed = _per_week(
        list(
            RemovalRequest.objects.filter(status=S.COMPLETED, closed_at__gte=since)
            .annotate(day=TruncDate(F("closed_at")))
            .values_list("day", flat=True)
        ),
        first,
    )
    starts = [first + timedelta(weeks=n) for n in range(WEEKS)]
    peak = max([*filed.values(), *completed.values(), 1])
    weeks = [
        Week(
            start=start,
            filed=filed.get(start, 0),
            completed=completed.get(start, 0),
            filed_pct=round(100 * filed.get(start, 0) / peak),
            completed_pct=round(100 * completed.get(start, 0) / peak),
        )
        for start in starts
    ]
    failing_since = now - EMAILS_FAILING_WINDOW
    return {
        "emails_failing": EmailLog.objects.filter(
            outcome=EmailLog.Outcome.FAILED, created_at__gte=failing_since
        ).count(),
        "emails_failing_days": EMAILS_FAILING_WINDOW.days,
        # For the admin list's filter, which wants an aware time.
        "emails_failing_since": failing_since.isoformat(timespec="seconds"),
        # Failed at least once, waiting for their next attempt.
        "emails_retrying": EmailLog.objects.filter(
            outcome=EmailLog.Outcome.QUEUED, attempts__gt=0
        ).count(),
        "open_states": open_states,
        "open_total": sum(row["count"] for row in open_states),
        "overdue": overdue_requests().count(),
        "median_days": median_days,
        "median_window_days": MEDIAN_WINDOW.days,
        "weeks": weeks,
        "auto_approve": settings.AUTO_APPROVE_OWNER_REQUESTS,
        "deadline_days": settings.REQUEST_DEADLINE_DAYS,
        "licensees": licensees.licensees_summary(now),
        "ack_days": settings.LICENSEE_ACK_DAYS,
        # The background re-check of the owners' signals on Flickr (optout/recheck/).
        "recheck": recheck.recheck_figures(),
    }

"""optout.queue: domain code names tasks; each name must be a task Celery knows."""

import pytest
from django.conf import settings

from config.celery import app
from optout import queue


# Loading the tasks runs Celery's Django fix-up, whose system checks ask the database
# for its features: alone (without a test before it that connected), it needs the db.
@pytest.mark.django_db
def test_every_task_the_domain_enqueues_is_a_registered_task() -> None:
    app.loader.import_default_modules()
    assert set(app.tasks) >= queue.TASK_NAMES, queue.TASK_NAMES - set(app.tasks)


@pytest.mark.django_db
def test_every_task_beat_runs_is_a_registered_task() -> None:
    app.loader.import_default_modules()
    scheduled = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert scheduled <= set(app.tasks), scheduled - set(app.tasks)


def test_a_name_that_is_not_a_task_is_refused_before_anything_is_sent() -> None:
    with pytest.raises(ValueError, match=r"unknown task 'optout\.tasks\.no_such_task'"):
        queue.enqueue("optout.tasks.no_such_task", 1)

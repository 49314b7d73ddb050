"""Thin Celery tasks, and the functions that queue them once the transaction commits.

Domain modules never import this one (that would be an import circle, tasks import the domain):
the caller queues here what the domain created. See polls/tasks.py for why this way.
"""

from celery import shared_task
from django.db import transaction

from .import_jobs import import_job_run
from .models import ImportJob


@shared_task
def run_import_job(job_id: int) -> None:
    import_job_run(job_id)


def import_job_queue(job: ImportJob) -> None:
    """Run the import in the background once the transaction that created the job commits."""
    transaction.on_commit(lambda: run_import_job.delay(job.pk))

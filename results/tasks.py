"""Thin Celery tasks of results, and the functions that queue them once the transaction commits
(domain modules never import this one; see polls/tasks.py)."""

from celery import shared_task
from django.db import transaction

from .exports.jobs import export_job_run
from .models import ExportJob


@shared_task
def run_export_job(job_id: int) -> None:
    export_job_run(job_id)


def export_job_queue(job: ExportJob) -> None:
    """Run the export in the background once the transaction that created the job commits."""
    transaction.on_commit(lambda: run_export_job.delay(job.pk))

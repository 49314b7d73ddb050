"""Thin Celery tasks over the results domain, and the functions that queue them once the
transaction commits (domain modules never import this one; see polls/tasks.py)."""

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from .exports.jobs import export_job_run
from .models import ExportJob
from .scheduling import pages_publish_due


@shared_task(name="results.tasks.publish_due_pages")
def publish_due_pages() -> int:
    """Every minute (beat): publish the result pages whose embargo has ended."""
    return len(pages_publish_due(now=timezone.now()))


@shared_task
def run_export_job(job_id: int) -> None:
    export_job_run(job_id)


def export_job_queue(job: ExportJob) -> None:
    """Run the export in the background once the transaction that created the job commits."""
    transaction.on_commit(lambda: run_export_job.delay(job.pk))

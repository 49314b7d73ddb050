"""Thin Celery tasks over the results domain."""

from celery import shared_task
from django.utils import timezone

from .scheduling import pages_publish_due


@shared_task(name="results.tasks.publish_due_pages")
def publish_due_pages() -> int:
    """Every minute (beat): publish the result pages whose embargo has ended."""
    return len(pages_publish_due(now=timezone.now()))

"""Exports in the background: a job row holds what was asked, the progress and, when done, the
file. `export_job_create` (the caller queues it: `results.tasks.export_job_queue`), then
`export_job_run` on a worker; the progress is kept in the cache while the job runs (the export
reads in one transaction, so a row update would be of no use to the page that polls)."""

from __future__ import annotations

import io
import logging
from typing import Any

from django.core.cache import cache
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from polls.models import Poll
from staff import audit

from ..estimation import ResultsError
from ..models import ExportJob
from .aggregates import aggregate_tables
from .microdata import microdata_plan, microdata_rows
from .writers import (
    aggregates_csv,
    aggregates_xlsx,
    microdata_csv,
    microdata_sav,
    microdata_xlsx,
)

__all__ = [
    "export_job_create",
    "export_job_progress",
    "export_job_run",
    "export_run",
]

log = logging.getLogger(__name__)

CHUNK = 5000
MICRODATA_WRITERS = {"csv": microdata_csv, "xlsx": microdata_xlsx, "sav": microdata_sav}


def export_job_create(
    *, poll: Poll, kind: str, format: str, by: str = "", actor: Any = None, language: str = "sv"
) -> ExportJob:
    """A pending job, and its entry in the audit trail (who asked for what, when). The caller
    checks the role (microdata: Admin) and queues the job in the same transaction."""
    job = ExportJob.objects.create(
        poll=poll,
        kind=kind,
        format=format,
        by=by or "",
        created_by=actor,
        language="en" if language.startswith("en") else "sv",
    )
    audit.record(
        actor,
        "export.requested",
        poll.slug,
        job=job.pk,
        kind=kind,
        format=format,
        by=by or None,
    )
    return job


def _filename(job: ExportJob) -> str:
    stamp = timezone.localdate().isoformat()
    what = "mikrodata" if job.kind == ExportJob.Kind.MICRODATA else "tabeller"
    by = f"-{job.by}" if job.by else ""
    return f"{job.poll.slug}-{what}{by}-{stamp}.{job.format}"


def export_run(*, poll: Poll, kind: str, format: str, out: Any, by: str = "", progress=None) -> int:
    """Write one export of `poll` to the binary file `out`; the number of rows. What the job
    runs, and what bench/exports.py measures. Raises ResultsError."""
    report = progress or (lambda done, total: None)
    if kind == ExportJob.Kind.MICRODATA:
        plan = microdata_plan(poll=poll)
        report(0, plan.n)
        rows = microdata_rows(plan, chunk=CHUNK, progress=lambda done: report(done, plan.n))
        MICRODATA_WRITERS[format](plan, rows, out)
        return plan.n
    tables = aggregate_tables(poll=poll, by=by or None)
    total = len(tables.rows)
    report(0, total)
    writer = aggregates_xlsx if format == ExportJob.Format.XLSX else aggregates_csv
    writer(tables, out, lambda done: report(done, total))
    return total


def export_job_run(job_id: int) -> None:
    """Run a waiting job once: one claimed by another worker, or already run, is left alone.
    Everything is read in one snapshot (REPEATABLE READ on PostgreSQL), so responses that
    arrive meanwhile change neither the weights nor the rows half-way."""
    claimed = ExportJob.objects.filter(pk=job_id, status=ExportJob.Status.PENDING).update(
        status=ExportJob.Status.RUNNING
    )
    if not claimed:
        return
    job = ExportJob.objects.select_related("poll").defer("data").get(pk=job_id)
    out = io.BytesIO()

    def progress(done: int, total: int) -> None:
        cache.set(_progress_key(job_id), (done, total), timeout=24 * 3600)

    try:
        with translation.override(job.language or "sv"), transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            rows = export_run(
                poll=job.poll,
                kind=job.kind,
                format=job.format,
                by=job.by,
                out=out,
                progress=progress,
            )
    except ResultsError as exc:
        _finish(job_id, ExportJob.Status.REFUSED, error=exc.message)
        return
    except Exception:
        log.exception("Export %s failed", job_id)
        _finish(job_id, ExportJob.Status.FAILED, error=_("An error on the server."))
        raise
    _finish(
        job_id,
        ExportJob.Status.DONE,
        data=out.getvalue(),
        filename=_filename(job),
        rows=rows,
    )


def _progress_key(job_id: int) -> str:
    return f"export-job:{job_id}:progress"


def export_job_progress(job: ExportJob) -> ExportJob:
    """The job with its latest progress filled in while it runs."""
    if job.status == ExportJob.Status.RUNNING:
        done, total = cache.get(_progress_key(job.pk), (0, 0))
        job.rows_done, job.rows_total = done, total
    return job


def _finish(
    job_id: int, status: str, *, error: str = "", data: bytes = b"", filename: str = "", rows=0
) -> None:
    done, total = cache.get(_progress_key(job_id), (rows, rows))
    cache.delete(_progress_key(job_id))
    ExportJob.objects.filter(pk=job_id).update(
        status=status,
        error=error,
        data=data,
        filename=filename,
        rows_done=rows or done,
        rows_total=rows or total,
        finished_at=timezone.now(),
    )

"""Register imports in the background: a job row holds the upload, the progress and the report."""

from __future__ import annotations

import logging

from django.core.cache import cache
from django.utils import timezone

from staff.audit import record

from .importing import ImportFileError, register_import
from .models import ImportJob

log = logging.getLogger(__name__)

PROGRESS_EVERY = 10_000


def import_job_create(
    *,
    register_name: str,
    filename: str,
    data: bytes,
    valid_only: bool = False,
    mapping: dict[str, str] | None = None,
    by=None,
) -> ImportJob:
    """A pending job holding the upload; the caller queues it (`respondents.tasks.import_job_queue`)
    in the same transaction."""
    job = ImportJob.objects.create(
        register_name=register_name,
        filename=filename,
        data=data,
        valid_only=valid_only,
        mapping=mapping or {},
        created_by=by,
    )
    record(by, "members.import", target=register_name, job=job.pk, filename=filename)
    return job


def import_job_run(job_id: int) -> None:
    """Run a waiting job once. A job another worker has claimed, or one already run, is left
    alone; a file that cannot be imported ends the job as refused, with the reasons."""
    claimed = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.PENDING).update(
        status=ImportJob.Status.RUNNING
    )
    if not claimed:
        return
    job = ImportJob.objects.get(pk=job_id)

    def progress(done: int, total: int) -> None:
        import_job_report_progress(job_id, done, total)

    try:
        report = register_import(
            name=job.register_name,
            data=bytes(job.data),
            valid_only=job.valid_only,
            mapping=job.mapping or None,
            progress=progress,
        )
    except ImportFileError as exc:
        _finish(job_id, ImportJob.Status.REFUSED, errors=[{"line": None, "message": str(exc)}])
        return
    except Exception:
        log.exception("Register import %s failed", job_id)
        _finish(job_id, ImportJob.Status.FAILED)
        raise
    errors = [{"line": e.line, "message": str(e)} for e in report.errors]
    written = not report.errors or (job.valid_only and report.added + report.updated > 0)
    _finish(
        job_id,
        ImportJob.Status.DONE if written else ImportJob.Status.REFUSED,
        errors=errors,
        report={
            "added": report.added,
            "updated": report.updated,
            "left": report.left,
            "skipped": report.skipped,
            "erased": report.erased,
        },
    )


def _progress_key(job_id: int) -> str:
    return f"import-job:{job_id}:progress"


def import_job_report_progress(job_id: int, done: int, total: int) -> None:
    # Kept in the cache, not the job row: the import holds its connection (a COPY may be
    # streaming) and its transaction open, so the row would show nothing until the end.
    cache.set(_progress_key(job_id), (done, total), timeout=24 * 3600)


def import_job_progress(job: ImportJob) -> ImportJob:
    """The job with its latest progress filled in while it runs."""
    if job.status == ImportJob.Status.RUNNING:
        done, total = cache.get(_progress_key(job.pk), (0, 0))
        job.rows_done, job.rows_total = done, total
    return job


def _finish(job_id: int, status: str, *, errors=None, report=None) -> None:
    done, total = cache.get(_progress_key(job_id), (0, 0))
    cache.delete(_progress_key(job_id))
    ImportJob.objects.filter(pk=job_id).update(
        rows_done=done,
        rows_total=total,
        status=status,
        errors=errors or [],
        report=report or {},
        finished_at=timezone.now(),
        data=b"",  # the upload holds personal data: keep it no longer than needed
    )

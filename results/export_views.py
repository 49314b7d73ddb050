"""Staff pages for exports: request one, watch it run, download it; and the codebook.

Permissions: aggregated tables and the codebook, the Editor or Admin role; microdata (rows,
one per response), the Admin role only, when asked for and again when downloaded. Every
request, download and codebook is in the audit trail."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation

from polls.models import Poll
from staff import audit
from staff.access import ADMIN, editor_required, has_role, reach

from .exports.codebook import poll_codebook
from .exports.forms import ExportForm
from .exports.jobs import export_job_create, export_job_progress
from .models import ExportJob
from .tasks import export_job_queue

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "sav": "application/x-spss-sav",
}


def _may_see_rows(user) -> bool:
    return has_role(user, ADMIN)


def _job(request, pk: int) -> ExportJob:
    """The job, if the user may reach it: row-level jobs for the Admin role only."""
    job = reach(request.user, ExportJob.objects.select_related("poll").defer("data"), pk=pk)
    if job.row_level and not _may_see_rows(request.user):
        raise PermissionDenied
    return job


@editor_required
def poll_exports(request, slug: str):
    """Permission: Editor or Admin (microdata: Admin). The export form and the poll's recent
    exports; a request queues a job and shows its progress."""
    poll = reach(request.user, Poll, slug=slug)
    microdata = _may_see_rows(request.user)
    asks_rows = request.method == "POST" and request.POST.get("kind") == ExportJob.Kind.MICRODATA
    if asks_rows and not microdata:
        raise PermissionDenied
    form = ExportForm(
        request.POST if request.method == "POST" else None,
        variables=list(poll.reporting_variables),
        microdata=microdata,
    )
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            job = export_job_create(
                poll=poll,
                kind=form.cleaned_data["kind"],
                format=form.cleaned_data["format"],
                by=form.cleaned_data["by"],
                actor=request.user,
                language=translation.get_language() or "sv",
            )
            export_job_queue(job)
        return redirect("export-job", pk=job.pk)
    jobs = poll.export_jobs.defer("data").select_related("created_by")
    if not microdata:
        jobs = jobs.exclude(kind=ExportJob.Kind.MICRODATA)
    return render(
        request,
        "results/exports/poll_exports.html",
        {"poll": poll, "form": form, "jobs": jobs[:10], "microdata": microdata},
        status=400 if form.is_bound else 200,
    )


@editor_required
def export_job(request, pk: int):
    """Permission: Editor or Admin (microdata: Admin). One export with its progress bar and,
    when done, the download link; htmx polls the fragment while it runs."""
    job = export_job_progress(_job(request, pk))
    template = "results/exports/_progress.html" if request.htmx else "results/exports/job.html"
    return render(request, template, {"job": job, "poll": job.poll})


@editor_required
def export_download(request, pk: int):
    """Permission: Editor or Admin (microdata: Admin), checked at each download. The file of a
    finished export; 404 while it is not done."""
    job = _job(request, pk)
    if job.status != ExportJob.Status.DONE:
        return render(request, "404.html", status=404)
    data = ExportJob.objects.values_list("data", flat=True).get(pk=job.pk)
    audit.record(
        request.user,
        "export.downloaded",
        job.poll.slug,
        job=job.pk,
        kind=job.kind,
        format=job.format,
        by=job.by or None,
    )
    response = HttpResponse(bytes(data), content_type=CONTENT_TYPES[job.format])
    response["Content-Disposition"] = f'attachment; filename="{job.filename}"'
    return response


@editor_required
def codebook(request, slug: str):
    """Permission: Editor or Admin. The poll's codebook: each variable of the microdata with its
    question, codes and labels, base and display condition; printable."""
    poll = reach(request.user, Poll, slug=slug)
    book = poll_codebook(poll=poll)
    audit.record(request.user, "export.codebook", poll.slug)
    return render(request, "results/exports/codebook.html", {"poll": poll, "book": book})

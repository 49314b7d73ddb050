"""Staff pages for registers, imports and samples. Permission: the Admin role (personal data)."""

import csv
import secrets

from django.contrib import messages
from django.db import transaction
from django.db.models import Count
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.dateparse import parse_datetime
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from staff.access import admin_required, reach

from .csvfiles import neutralised_row
from .draws import DrawError, sample_draw, sample_plan
from .forms import (
    ALLOCATION_CHOICES,
    MemberEraseForm,
    MemberLookupForm,
    RegisterImportForm,
    SamplePlanForm,
)
from .import_jobs import import_job_create, import_job_progress
from .models import ImportJob, Member, Register, SampleDraw
from .population import register_population_counts
from .privacy import member_erase, member_find
from .tasks import import_job_queue


@admin_required
def register_list(request):
    """Permission: Admin. The registers, and the form to import or refresh one."""
    form = RegisterImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        with transaction.atomic():
            job = import_job_create(
                register_name=form.cleaned_data["register"],
                filename=upload.name,
                data=upload.read(),
                valid_only=form.cleaned_data["valid_only"],
                mapping=form.cleaned_data["mapping"],
                by=request.user,
            )
            import_job_queue(job)
        return redirect("import-job", pk=job.pk)
    registers = Register.objects.order_by("name")
    rows = [
        {
            "register": r,
            "members": r.members.exclude(
                status__in=[Member.Status.LEFT, Member.Status.ERASED]
            ).count(),
            "samples": r.draws.count(),
        }
        for r in registers
    ]
    return render(
        request,
        "respondents/register_list.html",
        {"rows": rows, "form": form, "jobs": ImportJob.objects.defer("data")[:5]},
        status=400 if form.is_bound and not form.is_valid() else 200,
    )


@admin_required
def register_detail(request, pk: int):
    """Permission: Admin. Variables, population counts (the weighting targets) and samples."""
    register = reach(request.user, Register, pk=pk)
    # The counts kept at the last import (Register.population: members change only through
    # imports, so they are still the frame's); a register imported before they were kept is
    # counted now.
    counts = register.population or register_population_counts(
        register, register.variables, pairs=False
    )
    statuses = dict(register.members.values_list("status").annotate(n=Count("id")).order_by())
    return render(
        request,
        "respondents/register_detail.html",
        {
            "register": register,
            "counts": counts,
            "counted_at": parse_datetime(counts.get("counted_at", "")),
            "statuses": [(label, statuses.get(value, 0)) for value, label in Member.Status.choices],
            "draws": register.draws.all(),
            "lookup": MemberLookupForm(),
        },
    )


@admin_required
def register_members(request, pk: int):
    """Permission: Admin. Find one member of the register by number or e-mail address."""
    register = reach(request.user, Register, pk=pk)
    form = MemberLookupForm(request.GET or None)
    not_found = False
    if form.is_bound and form.is_valid():
        member = member_find(register=register, text=form.cleaned_data["q"])
        if member is not None:
            return redirect("member-detail", pk=member.pk)
        not_found = True
    return render(
        request,
        "respondents/member_lookup.html",
        {"register": register, "form": form, "not_found": not_found},
        status=404 if not_found else 400 if form.is_bound and not form.is_valid() else 200,
    )


@admin_required
def member_detail(request, pk: int):
    """Permission: Admin. One member: what the register holds, the samples they are in, and
    the erasure and access-export actions."""
    member = reach(request.user, Member.objects.select_related("register"), pk=pk)
    samplings = member.samplings.select_related("draw").order_by("-draw__created_at")
    return render(
        request,
        "respondents/member_detail.html",
        {"member": member, "register": member.register, "samplings": samplings},
    )


@admin_required
def member_erase_confirm(request, pk: int):
    """Permission: Admin. "Radera personuppgifter": the admin types the membership number to
    confirm; the erasure cannot be undone."""
    member = reach(request.user, Member.objects.select_related("register"), pk=pk)
    if member.status == Member.Status.ERASED:
        messages.info(request, _("This member's personal data has already been erased."))
        return redirect("member-detail", pk=member.pk)
    form = MemberEraseForm(request.POST or None, expected=member.number)
    if request.method == "POST" and form.is_valid():
        member_erase(member=member, by=request.user)
        messages.success(
            request,
            _(
                "The member's personal data was erased. Their anonymous answers and the "
                "samples' counts are kept."
            ),
        )
        return redirect("register-detail", pk=member.register_id)
    return render(
        request,
        "respondents/member_erase.html",
        {"member": member, "register": member.register, "form": form},
        status=400 if form.is_bound else 200,
    )


@admin_required
def import_job(request, pk: int):
    """Permission: Admin. One import with its progress bar and, when done, its report."""
    job = import_job_progress(reach(request.user, ImportJob.objects.defer("data"), pk=pk))
    template = (
        "respondents/_import_progress.html" if request.htmx else "respondents/import_job.html"
    )
    return render(request, template, {"job": job})


def _plan_form(request, register):
    data = request.POST if request.method == "POST" else None
    initial = {"seed": secrets.randbelow(1_000_000), "name": ""}
    # Only this register's samples: another register's members are never in this frame.
    samples = list(register.draws.order_by("-created_at").values_list("name", flat=True)[:50])
    return SamplePlanForm(data, variables=register.variables, samples=samples, initial=initial)


@admin_required
def sample_new(request, pk: int):
    """Permission: Admin. The planner, the allocation per stratum, and the draw."""
    register = reach(request.user, Register, pk=pk)
    form = _plan_form(request, register)
    plan, error = None, None
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            plan = sample_plan(
                register=register,
                target_moe_pp=data["target_moe"],
                response_rate=data["response_rate"] / 100,
                size=data["size"],
                strata=data["strata"],
                allocation=data["allocation"],
                exclude_sampled_months=data["exclude_sampled_months"],
                exclude_samples=data.get("exclude_samples", []),
                keep_no_email=data.get("keep_no_email", False),
            )
            if request.POST.get("action") == "draw":
                draw = sample_draw(
                    register=register,
                    name=data["name"],
                    size=plan.size,
                    seed=data["seed"],
                    by=request.user,
                    strata=data["strata"],
                    allocation=data["allocation"],
                    exclude_sampled_months=data["exclude_sampled_months"],
                    exclude_samples=data.get("exclude_samples", []),
                    keep_no_email=data.get("keep_no_email", False),
                )
                messages.success(
                    request,
                    _("The sample “%(name)s” was drawn: %(size)s members.")
                    % {
                        "name": draw.name,
                        "size": number_format(draw.target_size, force_grouping=True),
                    },
                )
                return redirect("sample-detail", pk=draw.pk)
        except DrawError as exc:
            error = str(exc)
    context = {"register": register, "form": form, "plan": plan, "error": error}
    if request.htmx:
        return render(request, "respondents/_sample_plan.html", context)
    status = 400 if (form.is_bound and not form.is_valid()) or error else 200
    return render(request, "respondents/sample_new.html", context, status=status)


@admin_required
def sample_detail(request, pk: int):
    """Permission: Admin. How the sample was drawn, and its members per stratum."""
    draw = reach(request.user, SampleDraw.objects.select_related("register", "created_by"), pk=pk)
    strata = [{"label": label, **values} for label, values in sorted(draw.counts.items())]
    allocation_label = dict(ALLOCATION_CHOICES).get(draw.allocation, draw.allocation)
    return render(
        request,
        "respondents/sample_detail.html",
        {"draw": draw, "strata": strata, "allocation_label": allocation_label},
    )


class _Echo:
    def write(self, value):
        return value


@admin_required
def sample_csv(request, pk: int):
    """Permission: Admin (personal data). The sampled members as CSV, for the admin's records."""
    draw = reach(request.user, SampleDraw, pk=pk)
    writer = csv.writer(_Echo(), delimiter=";")
    rows = draw.members.select_related("member").order_by("member__number").iterator(2000)

    def lines():
        yield "\ufeff" + writer.writerow(
            ["medlemsnummer", "e-post", "stratum", "urvalssannolikhet"]
        )
        for sm in rows:
            # a register's values are the importer's text: never let one run as a formula
            yield writer.writerow(
                neutralised_row(
                    [
                        sm.member.number,
                        sm.member.email,
                        sm.stratum,
                        f"{sm.inclusion_probability:.6f}",
                    ]
                )
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="urval-{draw.pk}.csv"'
    return response

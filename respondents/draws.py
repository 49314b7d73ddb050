"""Drawing a sample from a register and recording how it was drawn.

The selection itself is pure (`sampling.py`); this module reads the frame, checks the request
and turns every mistake an admin can make into a `DrawError` with a message they can act on.
"""

from __future__ import annotations

import calendar
import datetime
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from staff.audit import record

from . import planning, sampling
from .models import Member, Register, SampleDraw, SampleMember

MAX_STRATA_VARIABLES = 2


class DrawError(Exception):
    pass


def reachable_members(register: Register, *, keep_no_email: bool = False) -> QuerySet[Member]:
    """Members who may be invited: not opted out, bounced or departed, and with an e-mail
    (with `keep_no_email`, also those without one: a statistical extract, a poll answered by
    post or imported from a file)."""
    members = Member.objects.filter(register=register, status=Member.Status.ACTIVE)
    return members if keep_no_email else members.exclude(email="")


def sampling_frame(
    register: Register,
    *,
    exclude_sampled_since: datetime.datetime | None = None,
    exclude_samples: Sequence[str] = (),
    with_attributes: bool = False,
    keep_no_email: bool = False,
) -> list[tuple[Any, ...]]:
    """(member id, membership number[, attributes]) of the frame, in canonical order.

    Besides the unreachable, leaves out members sampled in any draw of this register since
    `exclude_sampled_since`, and members whose membership number is in one of the samples named
    (by number, so that a sample drawn from last year's snapshot of the register counts too).
    """
    members = reachable_members(register, keep_no_email=keep_no_email)
    if exclude_sampled_since is not None:
        recent = SampleMember.objects.filter(
            draw__register=register, draw__created_at__gte=exclude_sampled_since
        )
        members = members.exclude(id__in=recent.values("member_id"))
    if exclude_samples:
        named = SampleMember.objects.filter(draw__name__in=list(exclude_samples))
        members = members.exclude(number__in=named.values("member__number"))
    fields = ("id", "number", "attributes") if with_attributes else ("id", "number")
    rows = list(members.values_list(*fields))
    order = sampling.frame_order([row[1] for row in rows])
    return [rows[i] for i in order]


def months_before(moment: datetime.datetime, months: int) -> datetime.datetime:
    """The same day and time `months` calendar months earlier (the last day if it is shorter)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


@transaction.atomic
def sample_draw(
    *,
    register: Register,
    name: str,
    size: int,
    seed: int,
    by: User | None = None,
    strata: Sequence[str] = (),
    allocation: str = "proportional",
    fixed: Mapping[str, int] | None = None,
    exclude_sampled_months: int | None = None,
    exclude_samples: Sequence[str] = (),
    keep_no_email: bool = False,
) -> SampleDraw:
    """Draw and record a simple (no `strata`) or stratified random sample of `size` members.

    `strata` names one or two register variables; a member's stratum is their values joined
    by " / ", "(saknas)" where a value is missing. `allocation` is proportional, equal, optimal
    (Neyman for a share of 50 %) or fixed, with `fixed` giving the number per stratum label.
    """
    variables = list(strata)
    other_samples = list(exclude_samples)
    _check_request(register, name, size, seed, variables, allocation, fixed, exclude_sampled_months)
    _check_samples_exist(other_samples)

    since = None
    if exclude_sampled_months is not None:
        since = months_before(timezone.now(), exclude_sampled_months)
    frame = sampling_frame(
        register,
        exclude_sampled_since=since,
        exclude_samples=other_samples,
        with_attributes=bool(variables),
        keep_no_email=keep_no_email,
    )
    if size > len(frame):
        raise DrawError(
            _("Cannot draw %(size)s members from a frame of %(frame_size)s.")
            % {"size": size, "frame_size": len(frame)}
        )

    if variables:
        labels = [sampling.stratum_label(row[2], variables) for row in frame]
        population = dict(sorted(Counter(labels).items()))
        allocated = _allocate(population, size, allocation, fixed)
        drawn = sampling.stratified_random_sample(labels, allocated, seed)
        counts = {
            label: {"population": population[label], "sample": allocated[label]}
            for label in population
        }
    else:
        selection = sampling.simple_random_sample(len(frame), size, seed)
        drawn = [
            sampling.Drawn(pos, "", selection.inclusion_probability) for pos in selection.positions
        ]
        counts = {"": {"population": len(frame), "sample": size}}

    exclusions: dict[str, Any] = {"no_email_kept": True} if keep_no_email else {}
    if exclude_sampled_months is not None or other_samples:
        exclusions |= {
            "sampled_months": exclude_sampled_months,
            "sampled_since": since.isoformat() if since else None,
            "samples": other_samples,
            "excluded": reachable_members(register, keep_no_email=keep_no_email).count()
            - len(frame),
        }
    with transaction.atomic():
        draw = _draw_save(
            register=register,
            name=name,
            variables=variables,
            allocation=allocation,
            size=size,
            seed=seed,
            frame=frame,
            drawn=drawn,
            counts=counts,
            exclusions=exclusions,
            by=by,
        )
        record(
            by,
            "sample.draw",
            target=f"{register.name}: {draw.name}",
            size=size,
            seed=seed,
            strata=variables,
        )
    return draw


def _draw_save(
    *,
    register: Register,
    name: str,
    variables: list[str],
    allocation: str,
    size: int,
    seed: int,
    frame: list[tuple[Any, ...]],
    drawn: Sequence[sampling.Drawn],
    counts: dict[str, Any],
    exclusions: dict[str, Any],
    by: User | None,
) -> SampleDraw:
    draw = SampleDraw.objects.create(
        register=register,
        name=name,
        design=SampleDraw.Design.STRATIFIED if variables else SampleDraw.Design.SIMPLE,
        strata=variables,
        allocation=allocation if variables else "",
        target_size=size,
        seed=seed,
        frame_size=len(frame),
        counts=counts,
        exclusions=exclusions,
        created_by=by,
    )
    SampleMember.objects.bulk_create(
        [
            SampleMember(
                draw=draw,
                member_id=frame[pick.position][0],
                stratum=pick.stratum,
                inclusion_probability=pick.inclusion_probability,
            )
            for pick in drawn
        ],
        batch_size=5000,
    )
    return draw


def _check_request(
    register: Register,
    name: str,
    size: int,
    seed: int,
    strata: list[str],
    allocation: str,
    fixed: Mapping[str, int] | None,
    exclude_sampled_months: int | None,
) -> None:
    if SampleDraw.objects.filter(name=name).exists():
        raise DrawError(_("A sample named “%(name)s” already exists.") % {"name": name})
    if size <= 0:
        raise DrawError(_("The sample size must be positive."))
    if seed < 0:
        raise DrawError(_("The seed must be zero or positive."))
    if exclude_sampled_months is not None and exclude_sampled_months <= 0:
        raise DrawError(_("The number of months must be positive."))
    if len(strata) > MAX_STRATA_VARIABLES or len(set(strata)) != len(strata):
        raise DrawError(_("Stratify by one or two different variables."))
    for variable in strata:
        if variable not in register.variables:
            raise DrawError(
                _("The register has no variable “%(variable)s”; it has: %(variables)s.")
                % {"variable": variable, "variables": ", ".join(register.variables) or "–"}
            )
    if allocation not in sampling.ALLOCATIONS:
        raise DrawError(
            _("Unknown allocation “%(allocation)s”: use proportional, equal, optimal or fixed.")
            % {"allocation": allocation}
        )
    if fixed is not None and not (strata and allocation == "fixed"):
        raise DrawError(_("Numbers per stratum go with a fixed allocation over strata."))
    if allocation == "fixed" and strata and fixed is None:
        raise DrawError(_("A fixed allocation needs the number to draw from each stratum."))


def _check_samples_exist(names: list[str]) -> None:
    known = set(SampleDraw.objects.filter(name__in=names).values_list("name", flat=True))
    for name in names:
        if name not in known:
            raise DrawError(_("There is no sample named “%(name)s”.") % {"name": name})


def _allocate(
    population: dict[str, int], size: int, allocation: str, fixed: Mapping[str, int] | None
) -> dict[str, int]:
    if allocation == "fixed":
        assert fixed is not None  # checked with the request
        for label, n in fixed.items():
            available = population.get(label, 0)
            if n > 0 and available == 0:
                raise DrawError(
                    _("Stratum “%(stratum)s” has no members in the frame to draw from.")
                    % {"stratum": label}
                )
            if n < 0 or n > available:
                raise DrawError(
                    _("Cannot draw %(sample)s from stratum “%(stratum)s” of %(population)s.")
                    % {"sample": n, "stratum": label, "population": available}
                )
        if sum(fixed.values()) != size:
            raise DrawError(
                _("The fixed allocation adds up to %(total)s, not the sample size %(size)s.")
                % {"total": sum(fixed.values()), "size": size}
            )
    return sampling.allocate(population, size, allocation, fixed=fixed)


@dataclass(frozen=True)
class SamplePlan:
    frame_size: int
    size: int
    proposed_size: int
    rows: list[dict[str, Any]]
    expected_moe_pp: float | None


def sample_plan(
    *,
    register: Register,
    target_moe_pp: float,
    response_rate: float,
    size: int | None = None,
    strata: Sequence[str] = (),
    allocation: str = "proportional",
    exclude_sampled_months: int | None = None,
    exclude_samples: Sequence[str] = (),
    keep_no_email: bool = False,
) -> SamplePlan:
    """What a draw would give before anything is drawn: the size the planner proposes for the
    target margin of error, and per stratum the sample and the expected margin of error."""
    variables = list(strata)
    known = set(register.variables)
    for variable in variables:
        if variable not in known:
            raise DrawError(
                _("The register has no variable “%(variable)s”; it has: %(variables)s.")
                % {"variable": variable, "variables": ", ".join(sorted(known))}
            )
    since = None
    if exclude_sampled_months is not None:
        since = months_before(timezone.now(), exclude_sampled_months)
    frame = sampling_frame(
        register,
        exclude_sampled_since=since,
        exclude_samples=list(exclude_samples),
        with_attributes=bool(variables),
        keep_no_email=keep_no_email,
    )
    if not frame:
        raise DrawError(_("The register has no members who can be invited."))
    proposed = planning.required_sample(target_moe_pp, len(frame), response_rate)
    chosen = size or proposed
    if chosen > len(frame):
        raise DrawError(
            _("Cannot draw %(size)s members from a frame of %(frame_size)s.")
            % {"size": chosen, "frame_size": len(frame)}
        )
    if variables:
        labels = [sampling.stratum_label(row[2], variables) for row in frame]
        population = dict(sorted(Counter(labels).items()))
    else:
        population = {"": len(frame)}
    allocated = sampling.allocate(population, chosen, allocation if variables else "proportional")
    rows = planning.plan_strata(population, allocated, response_rate)
    overall = planning.expected_moe_pp(chosen * response_rate, len(frame))
    return SamplePlan(
        frame_size=len(frame),
        size=chosen,
        proposed_size=proposed,
        rows=rows,
        expected_moe_pp=overall if overall != float("inf") else None,
    )

"""Drawing a sample from a register and recording how it was drawn."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from . import sampling
from .models import Member, Register, SampleDraw, SampleMember


class DrawError(Exception):
    pass


def sampling_frame(register: Register) -> list[tuple[int, str]]:
    """(member id, membership number) of every member who may be invited, in canonical order.

    Opted-out, bounced and departed members and those without an e-mail are excluded."""
    rows = list(
        Member.objects.filter(register=register, status=Member.Status.ACTIVE)
        .exclude(email="")
        .values_list("id", "number")
    )
    order = sampling.frame_order([number for _id, number in rows])
    return [rows[i] for i in order]


@transaction.atomic
def sample_draw(*, register: Register, name: str, size: int, seed: int, by=None) -> SampleDraw:
    if SampleDraw.objects.filter(name=name).exists():
        raise DrawError(_("A sample named “%(name)s” already exists.") % {"name": name})
    frame = sampling_frame(register)
    try:
        selection = sampling.simple_random_sample(len(frame), size, seed)
    except ValueError as exc:
        raise DrawError(str(exc)) from exc
    draw = SampleDraw.objects.create(
        register=register,
        name=name,
        design=SampleDraw.Design.SIMPLE,
        target_size=size,
        seed=seed,
        frame_size=len(frame),
        counts={"": {"population": len(frame), "sample": size}},
        created_by=by,
    )
    SampleMember.objects.bulk_create(
        [
            SampleMember(
                draw=draw,
                member_id=frame[pos][0],
                inclusion_probability=selection.inclusion_probability,
            )
            for pos in selection.positions
        ],
        batch_size=5000,
    )
    return draw

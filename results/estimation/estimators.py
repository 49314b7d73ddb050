"""The per-kind estimators: one function per question kind, from the kind's atoms to its
`QuestionResult`, dispatched from `ESTIMATORS` (keyed by `Question.Kind`)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Final, TypeAlias

import numpy as np

from polls.models import Question

from .loading import Atoms, PollData
from .result_types import GroupTable, OptionResult, QuestionResult, RowResult, Table
from .tables import (
    Context,
    Key,
    dont_know_count,
    dont_know_ids,
    empty_tables,
    estimate_family,
    keyed_options,
    keys_of,
    listed_options,
    make_tables,
    means_of,
    option_keys,
    shares_of,
    shown_groups,
    split_groups,
)

__all__ = ["ESTIMATORS", "Estimator"]


def single_choice(ctx: Context, q: Question, atoms: Atoms, loaded: PollData) -> QuestionResult:
    exclude, options = listed_options(ctx, q)
    keys = option_keys(options)
    split, n_total, family = shares_of(
        ctx, atoms, keys, keys_of(atoms, {o.pk: i for i, o in enumerate(options)})
    )
    if family is None:
        total, groups = empty_tables(ctx)
    else:
        total, groups = make_tables(ctx, split, n_total, family, keyed_options(keys, family))
    return QuestionResult(
        question=q,
        n=int(round(atoms.count.sum())),
        total=total,
        groups=groups,
        dont_know_excluded=exclude,
        dont_know_n=dont_know_count(atoms, dont_know_ids(q)),
    )


def grid(ctx: Context, q: Question, atoms: Atoms, loaded: PollData) -> QuestionResult:
    exclude, options = listed_options(ctx, q)
    keys = option_keys(options)
    position = {o.pk: i for i, o in enumerate(options)}
    rows = []
    answered = 0
    for grid_row in q.rows.all():
        row_atoms = atoms.take(atoms.row == grid_row.pk)
        # every respondent rates each statement at most once
        answered = max(answered, int(round(row_atoms.count.sum())))
        split, n_total, family = shares_of(ctx, row_atoms, keys, keys_of(row_atoms, position))
        if family is None:
            total, groups = empty_tables(ctx)
        else:
            total, groups = make_tables(ctx, split, n_total, family, keyed_options(keys, family))
        rows.append(RowResult(row=grid_row, total=total, groups=groups))
    return QuestionResult(
        question=q,
        n=answered,
        total=None,
        rows=rows,
        dont_know_excluded=exclude,
        dont_know_n=dont_know_count(atoms, dont_know_ids(q)),
    )


def scale(ctx: Context, q: Question, atoms: Atoms, loaded: PollData) -> QuestionResult:
    """Shares of the points and of the options ("don't know"), and the mean of the points."""
    exclude, extra = listed_options(ctx, q)
    points = q.scale_points()
    keys: list[Key] = [(str(p), None, p) for p in points] + option_keys(extra)
    point_index = {float(p): i for i, p in enumerate(points)}
    option_index = {o.pk: len(points) + i for i, o in enumerate(extra)}
    key = np.array(
        [
            option_index.get(int(o), -1) if o else point_index.get(float(v), -1)
            for o, v in zip(atoms.option, atoms.value, strict=True)
        ],
        dtype=np.intp,
    )
    split, n_total, family = shares_of(ctx, atoms, keys, key)
    if family is None:
        total, groups = empty_tables(ctx)
    else:
        valued = ~np.isnan(atoms.value)
        means = None
        if valued.any():
            means = means_of(
                ctx, atoms, valued[:, None], np.nan_to_num(atoms.value)[:, None], split
            )
        total, groups = make_tables(
            ctx, split, n_total, family, keyed_options(keys, family), means=means
        )
    return QuestionResult(
        question=q,
        n=int(round(atoms.count.sum())),
        total=total,
        groups=groups,
        dont_know_excluded=exclude,
        dont_know_n=dont_know_count(atoms, dont_know_ids(q)),
    )


def number(ctx: Context, q: Question, atoms: Atoms, loaded: PollData) -> QuestionResult:
    atoms = atoms.take(~np.isnan(atoms.value))
    n = int(round(atoms.count.sum()))
    if n == 0:
        total, groups = empty_tables(ctx)
        return QuestionResult(question=q, n=0, total=total, groups=groups)
    split = split_groups(ctx, atoms.profile, atoms.count)
    member = np.ones((atoms.count.size, 1), dtype=bool)
    means = means_of(ctx, atoms, member, atoms.value[:, None], split)
    total, groups = make_tables(ctx, split, n, means, lambda group: [], means=means)
    return QuestionResult(question=q, n=n, total=total, groups=groups)


def ranking(ctx: Context, q: Question, atoms: Atoms, loaded: PollData) -> QuestionResult:
    """The share ranking each item first, and each item's mean place among those ranking it."""
    options = list(q.options.all())
    keys = option_keys(options)
    position = {o.pk: i for i, o in enumerate(options)}
    first = atoms.take(atoms.rank == 1)
    split, n_total, family = shares_of(ctx, first, keys, keys_of(first, position))
    if family is None:
        total, groups = empty_tables(ctx)
        return QuestionResult(question=q, n=0, total=total, groups=groups)
    ranked = atoms.take(atoms.rank >= 1)
    item = keys_of(ranked, position)
    member = item[:, None] == np.arange(len(options))[None, :]
    ranks = means_of(ctx, ranked, member, ranked.rank[:, None].astype(float), split)
    shares_for = keyed_options(keys, family)

    def options_for(group: int | None) -> list[OptionResult]:
        mean_ranks = ranks.overall if group is None else ranks.by_group[group]
        differences = None if group is None else ranks.differences[group]
        return [
            dataclasses.replace(
                option,
                mean_rank=mean_ranks[i],
                mean_rank_difference=differences[i] if differences is not None else None,
            )
            for i, option in enumerate(shares_for(group))
        ]

    total, groups = make_tables(ctx, split, n_total, family, options_for)
    return QuestionResult(question=q, n=n_total, total=total, groups=groups)


def multiple_choice(ctx: Context, q: Question, atoms: Atoms, loaded: PollData) -> QuestionResult:
    """Each option's share of the respondents (who answered, less "don't know" when it is left
    out): per option and profile two atoms, those who ticked it and those who did not."""
    size = loaded.sizes.size
    answered = loaded.answered.get(q.pk, np.zeros(size))
    dont_know = loaded.dont_know.get(q.pk, np.zeros(size))
    exclude, options = listed_options(ctx, q)
    domain = answered - dont_know if exclude else answered
    position = {o.pk: i for i, o in enumerate(options)}
    j = len(options)
    ticks = np.zeros((size, j))
    listed = keys_of(atoms, position)
    np.add.at(ticks, (atoms.profile[listed >= 0], listed[listed >= 0]), atoms.count[listed >= 0])
    overlap = loaded.overlap.get(q.pk)
    if exclude and overlap is not None:
        # ticks of respondents whose non-exclusive "don't know" leaves them out
        gone = keys_of(overlap, position)
        np.subtract.at(
            ticks, (overlap.profile[gone >= 0], gone[gone >= 0]), overlap.count[gone >= 0]
        )

    def result(total: Table, groups: list[GroupTable]) -> QuestionResult:
        return QuestionResult(
            question=q,
            n=int(round(answered.sum())),
            total=total,
            groups=groups,
            dont_know_excluded=exclude,
            dont_know_n=int(round(dont_know.sum())),
        )

    profiles = np.flatnonzero(domain > 0)
    if profiles.size == 0 or j == 0:
        return result(*empty_tables(ctx))
    m = profiles.size
    atom_profile = np.tile(np.repeat(profiles, 2), j)
    atom_option = np.repeat(np.arange(j), 2 * m)
    yes = ticks[profiles, :].T  # j x m
    no = domain[profiles][None, :] - yes
    count = np.stack([yes, no], axis=2).reshape(-1)
    member = atom_option[:, None] == np.arange(j)[None, :]
    ticked = np.tile(np.array([1.0, 0.0]), j * m)
    split = split_groups(ctx, profiles, domain[profiles])
    family = estimate_family(
        ctx,
        atom_profile,
        count,
        member,
        np.where(member, ticked[:, None], 0.0),
        kind="share",
        shown=shown_groups(split),
    )
    keys = option_keys(options)
    return result(
        *make_tables(ctx, split, int(round(domain.sum())), family, keyed_options(keys, family))
    )


def text(ctx: Context, q: Question, atoms: Atoms, loaded: PollData) -> QuestionResult:
    """An open question has no estimates: the number of written answers (codes are reported
    by `results.coding`)."""
    return QuestionResult(question=q, n=loaded.text_n.get(q.pk, 0), total=None)


Estimator: TypeAlias = Callable[[Context, Question, Atoms, PollData], QuestionResult]

# One estimator per kind; tests/test_estimation_split.py fails on a kind without one.
ESTIMATORS: Final[dict[str, Estimator]] = {
    Question.Kind.SINGLE: single_choice,
    Question.Kind.MULTIPLE: multiple_choice,
    Question.Kind.SCALE: scale,
    Question.Kind.NUMBER: number,
    Question.Kind.RANKING: ranking,
    Question.Kind.GRID: grid,
    Question.Kind.TEXT: text,
}

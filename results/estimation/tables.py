"""From columns to tables: a question's columns (options, or means) estimated overall, in each
shown group and each group against the rest (`estimate_family`); who is shown in a breakdown
(`split_groups`: small cells and complementary suppression); the tables of a question
(`make_tables`). The per-kind estimators (`results.estimation.estimators`) are built on these."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, TypeAlias

import numpy as np

from polls.models import Option, Poll, Question

from ..stats.comparison import holm, holm_adjusted, suppress
from ..stats.design import BoolArray
from ..stats.profiles import ProfileDesign, column_estimates, column_mean, column_share
from ..stats.weighting import FloatArray, IntArray
from .loading import Atoms
from .parameters import ResultParams
from .result_types import GroupDifference, GroupTable, OptionResult, PairDifference, Table

__all__ = [
    "Context",
    "Family",
    "Key",
    "OptionsFor",
    "Split",
    "dont_know_count",
    "dont_know_ids",
    "empty_tables",
    "estimate_family",
    "keyed_options",
    "keys_of",
    "listed_options",
    "make_tables",
    "means_of",
    "option_keys",
    "shares_of",
    "shown_groups",
    "sized",
    "split_groups",
]


@dataclass
class Context:
    poll: Poll
    params: ResultParams
    design: ProfileDesign
    group_of_profile: IntArray | None  # index into `groups`
    groups: list[str]

    @property
    def level(self) -> float:
        return self.params.level


@dataclass
class Family:
    """Estimates of J columns (options, or means) overall and per shown group."""

    overall: list[Any]
    by_group: dict[int, list[Any]]
    differences: dict[int, list[GroupDifference | None]]
    kish: float  # of the first column's domain, overall
    group_kish: dict[int, float]
    # every pair (g, h) of shown groups, g before h, per column (Holm over the pairs)
    pairs: dict[tuple[int, int], list[PairDifference | None]] = field(default_factory=dict)

    def pairs_of(self, column: int) -> tuple[PairDifference, ...]:
        found = (row[column] for row in self.pairs.values())
        return tuple(pair for pair in found if pair is not None)


def estimate_family(
    ctx: Context,
    profile: IntArray,
    count: FloatArray,
    member: BoolArray,
    y: FloatArray,
    *,
    kind: Literal["share", "mean"],
    shown: Sequence[int] = (),
) -> Family:
    """Columns J of (member, y) overall, in each shown group, and each shown group against the
    rest of the respondents (everyone in the column's domain outside the group, hidden groups
    included): `compare_breakdown(versus="rest")`, Holm over the groups of each column."""
    j = member.shape[1]
    parts_member = [member]
    parts_y = [y]
    group_of_atom = None
    if shown:
        assert ctx.group_of_profile is not None
        group_of_atom = ctx.group_of_profile[profile]
        for g in shown:
            inside = (group_of_atom == g)[:, None]
            parts_member += [member & inside, member & ~inside]
            parts_y += [y, y]
    all_member = np.hstack(parts_member)
    all_y = np.hstack(parts_y)
    cols = column_estimates(ctx.design, profile, count, all_member, all_y)

    def estimate(k: int) -> Any:
        if kind == "share":
            return column_share(cols, k, ctx.design, ctx.level, ctx.params.ci, ctx.params.ci_df)
        return column_mean(cols, k, ctx.level, ctx.params.ci_df)

    result = Family(
        overall=[estimate(k) for k in range(j)],
        by_group={},
        differences={},
        kish=float(cols.kish[0]),
        group_kish={},
    )
    if not shown:
        return result
    inside_cols = np.array([j * (1 + 2 * s) + c for s in range(len(shown)) for c in range(j)])
    rest_cols = inside_cols + j
    difference_variance = ctx.design.variance(
        profile,
        count,
        all_member[:, inside_cols] | all_member[:, rest_cols],
        cols.t[:, inside_cols] - cols.t[:, rest_cols],
    )
    raw: dict[int, list[tuple[float, float, float, float] | None]] = {}
    for s, g in enumerate(shown):
        result.by_group[g] = [estimate(int(k)) for k in inside_cols[s * j : (s + 1) * j]]
        result.group_kish[g] = float(cols.kish[inside_cols[s * j]])
        row: list[tuple[float, float, float, float] | None] = []
        for c in range(j):
            k_in, k_rest = inside_cols[s * j + c], rest_cols[s * j + c]
            if cols.n[k_in] == 0 or cols.n[k_rest] == 0:
                row.append(None)
                continue
            difference = float(cols.estimate[k_in] - cols.estimate[k_rest])
            se = math.sqrt(float(difference_variance[s * j + c]))
            row.append((float(cols.estimate[k_rest]), difference, se, _p_value(difference, se)))
        raw[g] = row
    alpha = 1.0 - ctx.level
    for g in shown:
        result.differences[g] = [None] * j
    for c in range(j):
        tested = [g for g in shown if raw[g][c] is not None]
        p_values = [raw[g][c][3] for g in tested]  # type: ignore[index]
        adjusted = holm_adjusted(p_values)
        rejected = holm(p_values, alpha) if p_values else []
        for g, p_adj, significant in zip(tested, adjusted, rejected, strict=True):
            versus, difference, se, p_value = raw[g][c]  # type: ignore[misc]
            result.differences[g][c] = GroupDifference(
                versus_share=versus,
                difference=difference,
                se=se,
                p_value=p_value,
                p_adjusted=p_adj,
                significant=significant,
            )
    result.pairs = _pairs(ctx, shown, j, cols, inside_cols, all_member, profile, count)
    return result


def _p_value(difference: float, se: float) -> float:
    """Two-sided p of the z test of a difference with standard error `se`."""
    if se > 0.0:
        z = difference / se
    else:  # no sampling error: any difference is real, none is none
        z = 0.0 if difference == 0.0 else math.copysign(math.inf, difference)
    return math.erfc(abs(z) / math.sqrt(2.0))


def _pairs(
    ctx: Context,
    shown: Sequence[int],
    j: int,
    cols: Any,
    inside_cols: IntArray,
    all_member: BoolArray,
    profile: IntArray,
    count: FloatArray,
) -> dict[tuple[int, int], list[PairDifference | None]]:
    """Every pair of shown groups, per column: the difference of the two domains' estimates with
    its design-based SE (the linearised variable of the difference, z_g - z_h, so their
    covariance is included, as svyby(covmat = TRUE) and svycontrast give it), the z test and
    Holm's adjustment over the pairs of the column (the family)."""
    pairs = [(a, b) for i, a in enumerate(shown) for b in shown[i + 1 :]]
    if not pairs:
        return {}
    position = {g: s for s, g in enumerate(shown)}
    first = np.array([inside_cols[position[a] * j + c] for a, _b in pairs for c in range(j)])
    second = np.array([inside_cols[position[b] * j + c] for _a, b in pairs for c in range(j)])
    variance = ctx.design.variance(
        profile,
        count,
        all_member[:, first] | all_member[:, second],
        cols.t[:, first] - cols.t[:, second],
    )
    raw: list[list[tuple[float, float, float, float] | None]] = []
    for p, _pair in enumerate(pairs):
        row: list[tuple[float, float, float, float] | None] = []
        for c in range(j):
            k_a, k_b = first[p * j + c], second[p * j + c]
            if cols.n[k_a] == 0 or cols.n[k_b] == 0:
                row.append(None)
                continue
            difference = float(cols.estimate[k_a] - cols.estimate[k_b])
            se = math.sqrt(float(variance[p * j + c]))
            row.append(
                (
                    float(cols.estimate[k_a]),
                    float(cols.estimate[k_b]),
                    difference,
                    se,
                )
            )
        raw.append(row)
    alpha = 1.0 - ctx.level
    result: dict[tuple[int, int], list[PairDifference | None]] = {
        pair: [None] * j for pair in pairs
    }
    for c in range(j):
        tested = [p for p in range(len(pairs)) if raw[p][c] is not None]
        p_values = [_p_value(raw[p][c][2], raw[p][c][3]) for p in tested]  # type: ignore[index]
        adjusted = holm_adjusted(p_values)
        rejected = holm(p_values, alpha) if p_values else []
        for p, p_value, p_adj, significant in zip(
            tested, p_values, adjusted, rejected, strict=True
        ):
            share, versus_share, difference, se = raw[p][c]  # type: ignore[misc]
            a, b = pairs[p]
            result[pairs[p]][c] = PairDifference(
                group=ctx.groups[a],
                versus=ctx.groups[b],
                share=share,
                versus_share=versus_share,
                difference=difference,
                se=se,
                p_value=p_value,
                p_adjusted=p_adj,
                significant=significant,
            )
    return result


# --------------------------------------------------------------------------- tables


@dataclass
class Split:
    """Who is shown in a breakdown of one question: the groups with respondents in its domain,
    those hidden (small cells, complementary suppression) and whether the total must go too."""

    n: dict[int, int]  # respondents in the domain per present group
    hidden: set[int]
    hide_total: bool

    @property
    def shown(self) -> list[int]:
        return [g for g in self.n if g not in self.hidden]


def split_groups(ctx: Context, profile: IntArray, count: FloatArray) -> Split | None:
    """The breakdown of a domain of `count` respondents per atom of `profile` (each once)."""
    if ctx.group_of_profile is None:
        return None
    per_group = np.bincount(ctx.group_of_profile[profile], weights=count, minlength=len(ctx.groups))
    n = {g: int(round(per_group[g])) for g in range(len(ctx.groups)) if per_group[g] > 0}
    hidden = suppress(n, ctx.poll.min_cell_size) if n else set()
    # A single group is the total: hiding the one hides the other.
    return Split(n=n, hidden=hidden, hide_total=len(n) == 1 and bool(hidden))


def shown_groups(split: Split | None) -> list[int]:
    return split.shown if split is not None else []


def empty_tables(ctx: Context) -> tuple[Table, list[GroupTable]]:
    groups = (
        []
        if ctx.group_of_profile is None
        else [GroupTable(label, Table(n=0, n_effective=None, deff=None)) for label in ctx.groups]
    )
    return Table(n=0, n_effective=None, deff=None), groups


def sized(n: int, kish: float) -> dict[str, Any]:
    if n == 0 or not math.isfinite(kish) or kish <= 0:
        return {"n": n, "n_effective": None, "deff": None}
    return {"n": n, "n_effective": n / kish, "deff": kish}


OptionsFor: TypeAlias = Callable[[int | None], list[OptionResult]]


def make_tables(
    ctx: Context,
    split: Split | None,
    n_total: int,
    main: Family,
    options_for: OptionsFor,
    means: Family | None = None,
) -> tuple[Table, list[GroupTable]]:
    """The overall table and one per group of the poll (hidden ones without any number).
    `main`'s first column has the table's domain; `means` (scale, number) adds the mean."""
    if split is not None and split.hide_total:
        total = Table(n=0, n_effective=None, deff=None, suppressed=True)
    else:
        total = Table(
            **sized(n_total, main.kish),
            options=options_for(None),
            mean=means.overall[0] if means is not None else None,
            mean_pairs=means.pairs_of(0) if means is not None else (),
        )
    groups: list[GroupTable] = []
    if split is None:
        return total, groups
    for g, label in enumerate(ctx.groups):
        if g in split.hidden:
            table = Table(n=0, n_effective=None, deff=None, suppressed=True)
        elif g not in split.n:
            table = Table(n=0, n_effective=None, deff=None)
        else:
            table = Table(
                **sized(split.n[g], main.group_kish.get(g, math.nan)),
                options=options_for(g),
                mean=means.by_group[g][0] if means is not None else None,
                mean_difference=means.differences[g][0] if means is not None else None,
            )
        groups.append(GroupTable(label, table))
    return total, groups


Key: TypeAlias = tuple[str, Option | None, int | None]  # code, option, scale point


def option_keys(options: Iterable[Option]) -> list[Key]:
    return [(o.code, o, None) for o in options]


def keyed_options(keys: list[Key], family: Family) -> OptionsFor:
    def options_for(group: int | None) -> list[OptionResult]:
        estimates = family.overall if group is None else family.by_group[group]
        differences = None if group is None else family.differences[group]
        return [
            OptionResult(
                code=code,
                option=option,
                point=point,
                estimate=estimates[i],
                difference=differences[i] if differences is not None else None,
                pairs=family.pairs_of(i) if group is None else (),
            )
            for i, (code, option, point) in enumerate(keys)
        ]

    return options_for


def _keyed(key_of_atom: IntArray, j: int) -> tuple[BoolArray, FloatArray]:
    """member and y of a single-choice family: each atom answered the key `key_of_atom[a]`, all
    in the domain but those with -1."""
    member = np.repeat((key_of_atom >= 0)[:, None], j, axis=1)
    y = (key_of_atom[:, None] == np.arange(j)[None, :]).astype(float)
    return member, y


def shares_of(
    ctx: Context, atoms: Atoms, keys: list[Key], key_of_atom: IntArray
) -> tuple[Split | None, int, Family | None]:
    """Shares of one answer per respondent (single choice, a grid statement, a scale's points,
    the item ranked first); atoms with key -1 are outside the domain."""
    inside = key_of_atom >= 0
    n_total = int(round(atoms.count[inside].sum()))
    if n_total == 0 or not keys:
        return None, 0, None
    split = split_groups(ctx, atoms.profile[inside], atoms.count[inside])
    member, y = _keyed(key_of_atom, len(keys))
    family = estimate_family(
        ctx, atoms.profile, atoms.count, member, y, kind="share", shown=shown_groups(split)
    )
    return split, n_total, family


def keys_of(atoms: Atoms, position: Mapping[int, int]) -> IntArray:
    return np.array([position.get(int(o), -1) for o in atoms.option], dtype=np.intp)


def dont_know_ids(q: Question) -> set[int]:
    return {o.pk for o in q.options.all() if o.is_dont_know}


def dont_know_count(atoms: Atoms, ids: set[int]) -> int:
    if not ids:
        return 0
    return int(round(atoms.count[np.isin(atoms.option, list(ids))].sum()))


def listed_options(ctx: Context, q: Question) -> tuple[bool, list[Option]]:
    exclude = ctx.params.excludes_dont_know(q.code) and bool(dont_know_ids(q))
    return exclude, [o for o in q.options.all() if not (exclude and o.is_dont_know)]


def means_of(
    ctx: Context, atoms: Atoms, member: BoolArray, values: FloatArray, split: Split | None
) -> Family:
    return estimate_family(
        ctx,
        atoms.profile,
        atoms.count,
        member,
        np.where(member, values, 0.0),
        kind="mean",
        shown=shown_groups(split),
    )

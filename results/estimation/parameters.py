"""The first step: what to estimate. `resolve_params` checks the parameters given (by, weights,
weight_by, ci, level, ci_df, dont_know, dont_know_by_question) against the poll and fills in the
rest from its `ResultSettings`; bad ones raise `ResultsError` with a message for staff, naming
the parameter."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from django.utils.translation import gettext as _

from polls.models import Poll

from ..models import ResultSettings
from ..stats.proportions import CI_DF, METHODS

__all__ = [
    "DONT_KNOW_CHOICES",
    "LEVEL_RANGE",
    "WEIGHTINGS",
    "ResultParams",
    "ResultsError",
    "names_text",
    "resolve_params",
]

WEIGHTINGS: Final[tuple[str, ...]] = ("none", "poststrat", "rake")
LEVEL_RANGE: Final = (0.5, 0.999)
DONT_KNOW_CHOICES: Final[tuple[str, ...]] = ("include", "exclude")


class ResultsError(Exception):
    """Parameters or data that allow no estimate; the message says why, for staff."""

    def __init__(self, message: str, *, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param  # the query parameter at fault, if one is


# --------------------------------------------------------------------------- parameters


@dataclass(frozen=True)
class ResultParams:
    """What to estimate, resolved against the poll's settings (hashable: part of cache keys)."""

    by: str | None = None
    weights: str = "none"
    weight_by: tuple[str, ...] = ()
    ci: str = "wilson"
    level: float = 0.95
    dont_know: str = "include"
    dont_know_by_question: tuple[tuple[str, str], ...] = ()
    ci_df: str = "normal"  # "t": Student's t with the domain's degrees of freedom

    def dont_know_choice(self, question_code: str) -> str:
        """include or exclude: the question's own choice, else the poll's."""
        return dict(self.dont_know_by_question).get(question_code, self.dont_know)

    def excludes_dont_know(self, question_code: str) -> bool:
        return self.dont_know_choice(question_code) == ResultSettings.DontKnow.EXCLUDE

    @property
    def variables(self) -> list[str]:
        """The reporting variables the estimates need: the weights' then the breakdown's."""
        names = list(self.weight_by)
        if self.by is not None and self.by not in names:
            names.append(self.by)
        return names


def names_text(names: Iterable[str]) -> str:
    return ", ".join(f"“{name}”" for name in names) or "–"


def resolve_params(
    poll: Poll,
    *,
    by: str | None = None,
    weights: str | None = None,
    weight_by: Sequence[str] | None = None,
    ci: str | None = None,
    level: float | None = None,
    ci_df: str | None = None,
    dont_know: str | None = None,
    dont_know_by_question: Mapping[str, str] | None = None,
) -> ResultParams:
    """The parameters to estimate with: those given, the rest from the poll's settings.
    `dont_know_by_question` (question code → include or exclude) is laid over the settings'
    own per-question choices."""
    settings = ResultSettings.for_poll(poll)
    weights = settings.weighting if weights is None else weights
    if weights not in WEIGHTINGS:
        raise ResultsError(
            _("Unknown weighting “%(value)s”: use none, poststrat or rake.") % {"value": weights},
            param="weights",
        )
    ci = settings.ci_method if ci is None else ci
    if ci not in METHODS:
        raise ResultsError(
            _("Unknown interval method “%(value)s”: use wilson, wald or logit.") % {"value": ci},
            param="ci",
        )
    ci_df = settings.ci_df if ci_df is None else ci_df
    if ci_df not in CI_DF:
        raise ResultsError(
            _("Unknown interval quantile “%(value)s”: use normal or t.") % {"value": ci_df},
            param="ci_df",
        )
    dont_know = settings.dont_know if dont_know is None else dont_know
    if dont_know not in DONT_KNOW_CHOICES:
        raise ResultsError(
            _("Unknown “don't know” choice “%(value)s”: use include or exclude.")
            % {"value": dont_know},
            param="dont_know",
        )
    by_question = dict(settings.dont_know_by_question)
    if dont_know_by_question:
        codes = set(poll.questions.values_list("code", flat=True))
        for code, choice in dont_know_by_question.items():
            if code not in codes:
                raise ResultsError(
                    _("The poll has no question with the code “%(code)s”.") % {"code": code},
                    param="dont_know_q",
                )
            if choice not in DONT_KNOW_CHOICES:
                raise ResultsError(
                    _("Unknown “don't know” choice “%(value)s”: use include or exclude.")
                    % {"value": choice},
                    param="dont_know_q",
                )
            by_question[code] = choice
    level = settings.level if level is None else level
    if (
        isinstance(level, bool)
        or not isinstance(level, int | float)
        or not (LEVEL_RANGE[0] <= level <= LEVEL_RANGE[1])
    ):
        raise ResultsError(
            _("The confidence level must be a number from 0.5 to 0.999, e.g. 0.95."),
            param="level",
        )
    variables = list(poll.reporting_variables)
    if by is not None and by not in variables:
        raise ResultsError(
            _(
                "Unknown breakdown variable “%(name)s”: the poll's reporting variables are "
                "%(names)s."
            )
            % {"name": by, "names": names_text(variables)},
            param="by",
        )
    chosen = tuple(dict.fromkeys(settings.weight_by if weight_by is None else weight_by))
    if weights == "none":
        chosen = ()  # nothing to weight by
    else:
        if not chosen:
            raise ResultsError(
                _("Weighting needs at least one reporting variable to weight by (weight_by)."),
                param="weight_by",
            )
        unknown = [name for name in chosen if name not in variables]
        if unknown:
            raise ResultsError(
                _("Cannot weight by %(unknown)s: the poll's reporting variables are %(names)s.")
                % {"unknown": names_text(unknown), "names": names_text(variables)},
                param="weight_by",
            )
        if poll.register_id is None:
            raise ResultsError(
                _(
                    "The poll has no register (an open link?): there are no population counts "
                    "to weight to."
                ),
                param="weights",
            )
        if weights == "poststrat" and len(chosen) > 2:
            raise ResultsError(
                _("Post-stratification crosses at most two variables; rake on more."),
                param="weight_by",
            )
    return ResultParams(
        by=by,
        weights=str(weights),
        weight_by=chosen,
        ci=str(ci),
        level=float(level),
        dont_know=str(dont_know),
        # only the choices that differ from the poll-wide one matter (and key the cache)
        dont_know_by_question=tuple(
            sorted(
                (code, str(choice)) for code, choice in by_question.items() if choice != dont_know
            )
        ),
        ci_df=str(ci_df),
    )

"""A poll's estimates (see `results.estimation.estimators`)."""

from .estimators import *  # noqa: F403
from .estimators import __all__ as _all
from .estimators import merge_poll_data, snapshots

__all__ = [*_all, "merge_poll_data", "snapshots"]  # noqa: PLE0604

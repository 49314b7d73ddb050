"""Pure statistics helpers for poll results (no Django imports)."""

from results.stats.proportions import (
    METHODS,
    Interval,
    Method,
    ShareEstimate,
    format_moe_range_en,
    format_moe_range_sv,
    fpc,
    kish_deff,
    logit_interval,
    moe_range_pp,
    share_estimate,
    shares,
    srs_share_se,
    wald_interval,
    wilson_interval,
    z_value,
)

__all__ = [
    "METHODS",
    "Interval",
    "Method",
    "ShareEstimate",
    "format_moe_range_en",
    "format_moe_range_sv",
    "fpc",
    "kish_deff",
    "logit_interval",
    "moe_range_pp",
    "share_estimate",
    "shares",
    "srs_share_se",
    "wald_interval",
    "wilson_interval",
    "z_value",
]

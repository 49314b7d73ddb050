"""The Plotly figure of a trend: each answer's share per wave, a line through the waves with the
interval of each wave as error bars. Pure: no database, no request. The answers are the
legend's entries: clicking one shows or hides it ("don't know" starts hidden)."""

from __future__ import annotations

from typing import Any

from .charts import GROUP_COLOURS, percent


def trend_figure(
    waves: list[str],
    options: list[tuple[str, list[Any], bool]],
    *,
    language: str = "sv",
) -> dict[str, Any]:
    """`options`: (label, one shown share or None per wave, is "don't know")."""
    traces = []
    k = len(options)
    for j, (label, points, dont_know) in enumerate(options):
        # Side by side around each wave, so that the intervals do not hide each other.
        offset = (j - (k - 1) / 2) * 0.05
        xs, ys, up, down, hover = [], [], [], [], []
        for i, p in enumerate(points):
            if p is None:
                continue
            xs.append(i + offset)
            ys.append(p.share * 100)
            up.append(0.0 if p.ci_high is None else (p.ci_high - p.share) * 100)
            down.append(0.0 if p.ci_low is None else (p.share - p.ci_low) * 100)
            interval = ""
            if p.ci_low is not None and p.ci_high is not None:
                interval = f" ({percent(p.ci_low, language)}–{percent(p.ci_high, language)})"
            hover.append(f"{label}, {waves[i]}: {percent(p.share, language)}{interval}, n = {p.n}")
        traces.append(
            {
                "type": "scatter",
                "mode": "lines+markers",
                "name": label,
                "x": xs,
                "y": ys,
                "hovertext": hover,
                "hoverinfo": "text",
                "line": {"color": GROUP_COLOURS[j % len(GROUP_COLOURS)], "width": 2},
                "marker": {"size": 8},
                "error_y": {
                    "type": "data",
                    "symmetric": False,
                    "array": up,
                    "arrayminus": down,
                    "thickness": 1.5,
                    "width": 4,
                },
                **({"visible": "legendonly"} if dont_know else {}),
            }
        )
    return {
        "data": traces,
        "layout": {
            "margin": {"l": 40, "r": 10, "t": 10, "b": 40},
            "height": 380,
            "xaxis": {
                "tickmode": "array",
                "tickvals": list(range(len(waves))),
                "ticktext": waves,
                "range": [-0.5, len(waves) - 0.5],
                "zeroline": False,
                "fixedrange": True,
            },
            "yaxis": {
                "rangemode": "tozero",
                "ticksuffix": "\u00a0%" if language == "sv" else "%",
                "fixedrange": True,
            },
            "legend": {"orientation": "h", "y": -0.18},
            "separators": ", " if language == "sv" else ".,",
            "paper_bgcolor": "rgba(0,0,0,0)",
            "plot_bgcolor": "rgba(0,0,0,0)",
        },
    }

"""Plotly figure dicts from shown shares (`results.presenting.ShownShare`, or any object with
`share`, `ci_low`, `ci_high` and `n`; an interval of None is drawn without error bars: no
random sample). Pure: no database, no request."""

from __future__ import annotations

from typing import Any

ACCENT = "#0b5d6b"


def percent(value: float, language: str = "sv") -> str:
    """57 % in Swedish (with a no-break space), 57% in English."""
    number = f"{value * 100:.0f}"
    return f"{number}\u00a0%" if language == "sv" else f"{number}%"


def wrap(label: str, width: int = 22) -> str:
    """Break a long option label into lines of about `width` characters, so phones keep room
    for the bars."""
    lines: list[str] = []
    for word in label.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def _error_bars(estimates: list[Any], *, thickness: float, width: int) -> dict:
    """Asymmetric error bars from each share to its interval's ends, in percent (none without
    an interval)."""
    return {
        "type": "data",
        "symmetric": False,
        "array": [0.0 if e.ci_high is None else (e.ci_high - e.share) * 100 for e in estimates],
        "arrayminus": [0.0 if e.ci_low is None else (e.share - e.ci_low) * 100 for e in estimates],
        "color": "#333",
        "thickness": thickness,
        "width": width,
    }


def _share_layout(language: str, **extra) -> dict:
    """Shares from 0 to 100 % across, options down in their order, Swedish number format."""
    return {
        "margin": {"l": 10, "r": 40, "t": 10, "b": 40},
        "xaxis": {
            "range": [0, 100],
            "ticksuffix": "\u00a0%" if language == "sv" else "%",
            "fixedrange": True,
        },
        "yaxis": {
            "autorange": "reversed",
            "automargin": True,
            "fixedrange": True,
            "ticksuffix": "  ",
        },
        "font": {"family": "system-ui, -apple-system, Segoe UI, Roboto, sans-serif"},
        "separators": ", " if language == "sv" else ".,",
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        **extra,
    }


def _interval_hover(e: Any, language: str, name: str = "") -> str:
    if e.ci_low is None or e.ci_high is None:
        return ""
    prefix = f"{name}: " if name else ""
    return f" ({prefix}{percent(e.ci_low, language)}–{percent(e.ci_high, language)})"


def share_bar_figure(
    labels: list[str], estimates: list[Any], *, language: str = "sv", title: str = ""
) -> dict:
    """Horizontal bars of shares with their 95 % intervals as error bars, first option on top."""
    x = [e.share * 100 for e in estimates]
    interval = "95 % konfidensintervall" if language == "sv" else "95% confidence interval"
    hover = [
        f"{label}<br>{percent(e.share, language)}{_interval_hover(e, language, interval)}"
        f"<br>n = {e.n}"
        for label, e in zip(labels, estimates, strict=True)
    ]
    figure: dict[str, Any] = {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                # The share stands in the axis label, where no error bar can cross it.
                "y": [
                    # No <b>: plotly writes it as a style attribute, which the CSP refuses.
                    f"{wrap(label)}  {percent(e.share, language)}"
                    for label, e in zip(labels, estimates, strict=True)
                ],
                "x": x,
                "hovertext": hover,
                "hoverinfo": "text",
                "marker": {"color": ACCENT},
                "error_x": _error_bars(estimates, thickness=1.5, width=4),
            }
        ],
        "layout": _share_layout(language, height=80 + 48 * len(labels), bargap=0.35),
    }
    if title:
        figure["layout"]["title"] = {"text": title}
    return figure


GROUP_COLOURS = ["#0b5d6b", "#c4622d", "#5b6abf", "#3a8d4f", "#8c4b8f", "#b08a00", "#4f6d7a"]


def group_bar_figure(
    labels: list[str],
    groups: list[tuple[str, list[Any]]],
    *,
    language: str = "sv",
) -> dict:
    """Horizontal bars of each option's share per group, with the groups' 95 % intervals."""
    traces = []
    for i, (name, estimates) in enumerate(groups):
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": name,
                "y": [wrap(label) for label in labels],
                "x": [e.share * 100 for e in estimates],
                "hovertext": [
                    f"{name}: {percent(e.share, language)}{_interval_hover(e, language)}, n = {e.n}"
                    for e in estimates
                ],
                "hoverinfo": "text",
                "marker": {"color": GROUP_COLOURS[i % len(GROUP_COLOURS)]},
                "error_x": _error_bars(estimates, thickness=1, width=3),
            }
        )
    return {
        "data": traces,
        "layout": _share_layout(
            language,
            barmode="group",
            legend={"orientation": "h", "y": -0.15},
            height=120 + 22 * len(labels) * max(1, len(groups)),
        ),
    }


# Diverging colours: the low end warm, the middle grey, the high end the accent's teal.
LOW_COLOURS = ["#9c3d12", "#c4622d", "#e39a6f", "#f2c7a8"]
HIGH_COLOURS = ["#0b5d6b", "#2f8796", "#6fb3bf", "#acd5dc"]
MIDDLE_COLOUR = "#b5b5b5"


def _side_colours(palette: list[str], count: int) -> list[str]:
    """`count` colours of a side, from the scale's end (strongest) towards the middle."""
    return [palette[min(i, len(palette) - 1)] for i in range(count)]


def diverging_bar_figure(
    labels: list[str], estimates: list[Any], *, language: str = "sv", row: str = ""
) -> dict:
    """One diverging stacked bar of a scale's points, low to high: the points below the middle
    to the left of zero, those above to the right, the middle point split across zero. Each
    point's share and 95 % interval stand in the legend (a stacked bar has no room for error
    bars) and in the hover; "don't know" is left to the table."""
    k = len(estimates)
    low = k // 2
    middle = k % 2 == 1
    high_start = low + (1 if middle else 0)
    low_colours = _side_colours(LOW_COLOURS, low)
    high_colours = _side_colours(HIGH_COLOURS, k - high_start)[::-1]  # middle outwards
    suffix = "\u00a0%" if language == "sv" else "%"
    y = [row or " "]

    def trace(i: int, x: float, colour: str, *, legend: bool) -> dict:
        e = estimates[i]
        name = f"{labels[i]} {percent(e.share, language)}"
        if e.ci_low is not None and e.ci_high is not None:
            name += f" ({percent(e.ci_low, language)}–{percent(e.ci_high, language)})"
        return {
            "type": "bar",
            "orientation": "h",
            "name": name,
            "legendgroup": str(i),
            "legendrank": i + 1,
            "showlegend": legend,
            "y": y,
            "x": [x],
            "hovertext": [f"{name}, n = {e.n}"],
            "hoverinfo": "text",
            "text": [percent(e.share, language) if e.share >= 0.12 and legend else ""],
            "textposition": "inside",
            "textangle": 0,
            "insidetextanchor": "middle",
            "marker": {"color": colour},
        }

    traces = []
    if middle:
        share = estimates[low].share * 100
        traces.append(trace(low, -share / 2, MIDDLE_COLOUR, legend=False))
        traces.append(trace(low, share / 2, MIDDLE_COLOUR, legend=True))
    # Each side stacks outwards from zero: the points next to the middle first.
    for i in range(low - 1, -1, -1):
        traces.append(trace(i, -estimates[i].share * 100, low_colours[i], legend=True))
    for j, i in enumerate(range(high_start, k)):
        traces.append(trace(i, estimates[i].share * 100, high_colours[j], legend=True))
    left = sum(e.share for e in estimates[:low]) + (estimates[low].share / 2 if middle else 0)
    right = sum(e.share for e in estimates[high_start:]) + (
        estimates[low].share / 2 if middle else 0
    )
    reach = min(100, max(50, round(max(left, right) * 100 / 10 + 0.5) * 10))
    step = 25 if reach > 60 else 10
    ticks = [t for t in range(-100, 101, step) if -reach <= t <= reach]
    layout = _share_layout(
        language,
        barmode="relative",
        height=130 + 20 * k,
        legend={"orientation": "h", "y": -0.3, "traceorder": "normal"},
    )
    layout["xaxis"] = {
        "range": [-reach, reach],
        "tickvals": ticks,
        "ticktext": [f"{abs(t)}{suffix}" for t in ticks],
        "fixedrange": True,
        "zeroline": True,
        "zerolinecolor": "#333",
    }
    layout["yaxis"]["showticklabels"] = bool(row)
    return {"data": traces, "layout": layout}

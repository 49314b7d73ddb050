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

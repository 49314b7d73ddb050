"""PNG images of a result page's charts, drawn on the server with Pillow from the frozen
snapshot: the Open Graph / Twitter image of a page and the PNG download of each chart.

`chart_png(block, part=0, organisation=..., language=...)` draws one chart block of a snapshot
(`results.publishing`: a "chart" block's part, or a "coded" block's top list) as horizontal
bars with their labels and shares, and the 95 % interval of each share as a whisker; a breakdown
as grouped bars with a legend. Suppressed groups are left out, as on the page. Pure: no
database, no request (the caller caches the bytes per version).
"""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path
from typing import Any

from PIL import Image, ImageDraw, ImageFont

from .charts import ACCENT, GROUP_COLOURS

WIDTH, HEIGHT = 1200, 630  # what Facebook, LinkedIn and X show for summary_large_image
FONTS = Path(__file__).resolve().parent / "fonts"
INK = "#1a1a1a"
MUTED = "#555555"
GRID = "#d9d9d9"
WHISKER = "#222222"
PAD = 48

Font = ImageFont.FreeTypeFont


@cache
def _font(size: int, bold: bool = False) -> Font:
    name = "DejaVuSans-Bold.ttf" if bold else "DejaVuSans.ttf"
    return ImageFont.truetype(str(FONTS / name), size)


def _percent(share: float, language: str) -> str:
    number = f"{share * 100:.0f}"
    return f"{number}\u00a0%" if language == "sv" else f"{number}%"


def _lines(draw: ImageDraw.ImageDraw, text: str, font: Font, width: int, most: int) -> list[str]:
    """`text` broken into at most `most` lines of at most `width` pixels (an ellipsis when cut)."""
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    if len(lines) > most:
        lines = lines[:most]
        while lines[-1] and draw.textlength(lines[-1] + "…", font=font) > width:
            lines[-1] = lines[-1][:-1]
        lines[-1] = lines[-1].rstrip() + "…"
    return lines


def _series(block: dict[str, Any], part: int) -> tuple[list[str], list[tuple[str, list[dict]]]]:
    """The labels down the chart and, per series (one, or one per group shown), its rows."""
    if block.get("kind") == "coded":
        codes = block.get("codes") or []
        return [c["label"] for c in codes], [("", codes)]
    parts = block.get("parts") or []
    if not 0 <= part < len(parts):
        return [], []
    shown = parts[part]
    groups = [g for g in shown.get("groups") or [] if not g.get("suppressed") and g["options"]]
    if groups:
        labels = shown.get("all_labels") or [o["label"] for o in groups[0]["options"]]
        return labels, [(g["group"], g["options"]) for g in groups]
    options = shown.get("options") or []
    return [o["label"] for o in options], [("", options)]


def _whisker(draw: ImageDraw.ImageDraw, row: dict, x0: int, scale: float, y: int, cap: int) -> None:
    if row.get("ci_low") is None or row.get("ci_high") is None:
        return
    left, right = x0 + row["ci_low"] * scale, x0 + row["ci_high"] * scale
    draw.line([(left, y), (right, y)], fill=WHISKER, width=2)
    for x in (left, right):
        draw.line([(x, y - cap), (x, y + cap)], fill=WHISKER, width=2)


def chart_png(
    block: dict[str, Any],
    part: int = 0,
    *,
    organisation: str = "",
    language: str = "sv",
) -> bytes:
    """The chart as a 1200×630 PNG."""
    image = Image.new("RGB", (WIDTH, HEIGHT), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, 0, WIDTH, 10], fill=ACCENT)

    title_font = _font(34, bold=True)
    title = block.get("question_text", "")
    parts = block.get("parts") or []
    if 0 <= part < len(parts) and parts[part].get("title"):
        title = f"{title}: {parts[part]['title']}"
    y = 34
    for line in _lines(draw, title, title_font, WIDTH - 2 * PAD, 2):
        draw.text((PAD, y), line, font=title_font, fill=INK)
        y += 44
    small = _font(22)
    base = block.get("base_text") or f"n = {block.get('n_text', '')}"
    draw.text((PAD, y + 4), base, font=small, fill=MUTED)
    top = y + 50

    labels, series = _series(block, part)
    footer_y = HEIGHT - 44
    note = "95 % konfidensintervall" if language == "sv" else "95% confidence interval"
    interval_shown = any(r.get("ci_low") is not None for _name, rows in series for r in rows)
    legend_y = footer_y - (36 if len(series) > 1 else 0)
    if len(series) > 1:
        x = PAD
        for i, (name, _rows) in enumerate(series):
            colour = GROUP_COLOURS[i % len(GROUP_COLOURS)]
            draw.rectangle([x, legend_y + 4, x + 20, legend_y + 24], fill=colour)
            draw.text((x + 28, legend_y + 2), name, font=small, fill=INK)
            x += 28 + int(draw.textlength(name, font=small)) + 28
    footer = organisation
    if interval_shown:
        draw.line([(PAD, footer_y + 14), (PAD + 36, footer_y + 14)], fill=WHISKER, width=2)
        for x in (PAD, PAD + 36):
            draw.line([(x, footer_y + 8), (x, footer_y + 20)], fill=WHISKER, width=2)
        draw.text((PAD + 46, footer_y + 1), note, font=small, fill=MUTED)
    if footer:
        draw.text(
            (WIDTH - PAD - draw.textlength(footer, font=small), footer_y + 1),
            footer,
            font=small,
            fill=MUTED,
        )
    if not labels or not series:
        return _png(image)

    rows = len(labels)
    bars = len(series)
    space = legend_y - 16 - top
    row_height = min(90, space / rows)
    label_size = max(14, min(24, int(row_height * 0.42)))
    label_font = _font(label_size)
    share_font = _font(label_size, bold=True)
    label_width = 380
    x0 = PAD + label_width + 16
    bar_end = WIDTH - PAD - 90
    scale = bar_end - x0  # pixels per share of 1
    bar_height = max(4, int(row_height * 0.62 / bars))
    for step in (0, 0.25, 0.5, 0.75, 1.0):
        grid_x = x0 + step * scale
        draw.line([(grid_x, top - 6), (grid_x, legend_y - 14)], fill=GRID, width=1)
    for r, label in enumerate(labels):
        row_top = top + r * row_height
        most_lines = max(1, min(3, int(row_height // (label_size * 1.25))))
        lines = _lines(draw, label, label_font, label_width, most_lines)
        text_y = row_top + (row_height - len(lines) * label_size * 1.2) / 2
        for line in lines:
            draw.text((PAD, text_y), line, font=label_font, fill=INK)
            text_y += label_size * 1.2
        block_top = row_top + (row_height - bar_height * bars) / 2
        for s, (_name, values) in enumerate(series):
            if r >= len(values) or values[r].get("share") is None:
                continue
            value = values[r]
            colour = GROUP_COLOURS[s % len(GROUP_COLOURS)] if bars > 1 else ACCENT
            bar_top = int(block_top + s * bar_height)
            bar_bottom = bar_top + bar_height - (2 if bars > 1 else 0)
            draw.rectangle([x0, bar_top, x0 + value["share"] * scale, bar_bottom], fill=colour)
            middle = (bar_top + bar_bottom) // 2
            _whisker(draw, value, x0, scale, middle, max(3, min(10, bar_height // 3)))
            right = max(value["share"], value.get("ci_high") or 0) * scale
            if bars == 1 or bar_height >= 14:
                text = _percent(value["share"], language)
                font = share_font if bars == 1 else _font(max(12, min(label_size, bar_height)))
                height = font.getbbox(text)[3]
                draw.text((x0 + right + 8, middle - height / 2 - 1), text, font=font, fill=INK)
    return _png(image)


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()

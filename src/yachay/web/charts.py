"""Charts drawn on the server as small inline SVG: no script, a few hundred bytes each, and
readable without colour (every bar carries its number)."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

from yachay.web.progress import SkillShare, WeekMinutes

_ROW = 38
_BAR = 230


def skill_bars(shares: Sequence[SkillShare], title: str) -> Markup:
    """One bar per skill, its name above it: the share of correct answers, 0 to 100 %.
    Narrow on purpose, so the text stays legible on a 360 px screen."""
    width = _BAR + 80
    height = _ROW * len(shares) + 4
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" '
        f'aria-label="{escape(title)}" data-chart="skills">',
        f"<title>{escape(title)}</title>",
    ]
    for i, s in enumerate(shares):
        y = i * _ROW
        bar = round(_BAR * s.share, 1)
        level = "low" if s.share < 0.5 else "mid" if s.share < 0.8 else "high"
        label = s.name if len(s.name) <= 40 else s.name[:39] + "…"
        parts.append(
            f'<text x="0" y="{y + 13}" class="lbl">{escape(label)}</text>'
            f'<rect x="0" y="{y + 18}" width="{_BAR}" height="14" class="track"/>'
            f'<rect x="0" y="{y + 18}" width="{bar}" height="14" class="bar {level}">'
            f"<title>{escape(s.name)}: {s.correct}/{s.answered}</title></rect>"
            f'<text x="{_BAR + 6}" y="{y + 30}" class="num">'
            f"{round(100 * s.share)} % ({s.answered})</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def week_bars(weeks: Sequence[WeekMinutes], title: str) -> Markup:
    """One vertical bar per week, minutes on the phone; the week's day and month below."""
    column, top, plot = 40, 16, 110
    width = column * len(weeks) + 8
    height = top + plot + 22
    most = max((w.minutes for w in weeks), default=0) or 1
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" '
        f'aria-label="{escape(title)}" data-chart="minutes">',
        f"<title>{escape(title)}</title>",
    ]
    for i, w in enumerate(weeks):
        x = 4 + i * column
        bar = round(plot * w.minutes / most, 1)
        y = top + plot - bar
        parts.append(
            f'<rect x="{x + 6}" y="{y}" width="{column - 12}" height="{bar}" class="bar high"/>'
            f'<text x="{x + column / 2}" y="{y - 4}" class="num" text-anchor="middle">'
            f"{round(w.minutes)}</text>"
            f'<text x="{x + column / 2}" y="{height - 6}" class="lbl" text-anchor="middle">'
            f"{w.monday.day}/{w.monday.month}</text>"
        )
    parts.append(
        f'<line x1="0" y1="{top + plot}" x2="{width}" y2="{top + plot}" class="axis"/></svg>'
    )
    return Markup("".join(parts))

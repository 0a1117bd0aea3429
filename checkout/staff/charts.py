"""Server-side SVG charts for the dashboard: no chart script, readable without JavaScript.

Each chart is an <svg role="img"> named by its <title> and summarised by its <desc>;
the dashboard puts the exact figures beside it in a visually hidden table. Colours come
from presentation attributes, so the charts need no stylesheet.
"""
from __future__ import annotations

from markupsafe import Markup, escape

from ..presentation import money
from .metrics import DayRevenue, FunnelStep

WIDTH = 640
INK = "#1d2433"
MUTED = "#5b6475"
BAR = "#0b5cad"
NEGATIVE = "#b3261e"


def _svg(chart_id: str, height: int, title: str, description: str, body: list[str]) -> Markup:
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" id="{chart_id}" class="chart" role="img" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc" viewBox="0 0 {WIDTH} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" font-family="system-ui, sans-serif" font-size="13">'
        f'<title id="{chart_id}-title">{escape(title)}</title>'
        f'<desc id="{chart_id}-desc">{escape(description)}</desc>'
        + "".join(body) + "</svg>"
    )


def funnel_chart(steps: list[FunnelStep], period_name: str, chart_id: str = "funnel-chart") -> Markup:
    """One horizontal bar per funnel stage, its length proportional to the count."""
    label_width, row, bar_height, count_room = 150, 34, 22, 70
    plot = WIDTH - label_width - count_room
    largest = max((step.count for step in steps), default=0)
    body = []
    for n, step in enumerate(steps):
        y = n * row + 6
        length = round(plot * step.count / largest) if largest else 0
        body.append(
            f'<text x="0" y="{y + 16}" fill="{INK}">{escape(step.name)}</text>'
            f'<rect class="bar" data-stage="{escape(step.stage)}" x="{label_width}" y="{y}" '
            f'width="{length}" height="{bar_height}" fill="{BAR}"/>'
            f'<text x="{label_width + length + 6}" y="{y + 16}" fill="{INK}">{step.count}</text>'
        )
    description = "; ".join(f"{step.name}: {step.count}" for step in steps)
    return _svg(chart_id, len(steps) * row + 8, f"Checkout funnel, {period_name.lower()}", description, body)


def revenue_chart(days: list[DayRevenue], currency: str, period_name: str, chart_id: str = "revenue-chart") -> Markup:
    """One vertical bar per day (a day with no revenue has a bar of height 0 and its label).

    Refunds can make a day negative: such bars hang below the zero line, in red.
    """
    top, plot_height, axis_room = 20, 160, 22
    highest = max([0] + [d.amount for d in days])
    lowest = min([0] + [d.amount for d in days])
    span = (highest - lowest) or 1
    zero_y = top + round(plot_height * highest / span)
    slot = WIDTH / max(1, len(days))
    bar_width = max(2.0, slot * 0.7)
    label_every = 1 if len(days) <= 10 else 5
    body = [f'<line x1="0" x2="{WIDTH}" y1="{zero_y}" y2="{zero_y}" stroke="{MUTED}" stroke-width="1"/>']
    for n, day in enumerate(days):
        height = round(plot_height * abs(day.amount) / span)
        x = n * slot + (slot - bar_width) / 2
        y = zero_y - height if day.amount >= 0 else zero_y
        colour = BAR if day.amount >= 0 else NEGATIVE
        body.append(
            f'<rect class="bar" data-day="{day.day.isoformat()}" x="{x:.1f}" y="{y}" width="{bar_width:.1f}" '
            f'height="{height}" fill="{colour}"/>'
        )
        if len(days) <= 10:
            body.append(f'<text x="{n * slot + slot / 2:.1f}" y="{max(12, y - 4)}" text-anchor="middle" '
                        f'fill="{INK}" font-size="11">{escape(money(day.amount, currency))}</text>')
        if n % label_every == 0 or n == len(days) - 1:
            body.append(f'<text x="{n * slot + slot / 2:.1f}" y="{top + plot_height + axis_room - 4}" '
                        f'text-anchor="middle" fill="{MUTED}" font-size="11">{day.day.strftime("%-d %b")}</text>')
    total = sum(d.amount for d in days)
    description = (f"Revenue per day over {len(days)} day{'s' if len(days) != 1 else ''}, "
                   f"{money(total, currency)} in all; highest day {money(highest, currency)}.")
    return _svg(chart_id, top + plot_height + axis_room, f"Daily revenue, {period_name.lower()}", description, body)

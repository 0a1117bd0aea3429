"""The monitoring dashboard (/staff/dashboard): payments, webhooks, revenue, funnel, errors.

Any signed-in staff member may see it. `?period=today|7d|30d` picks the period; the links
work without JavaScript, and with htmx only the metrics block is swapped.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, request, url_for

from .. import monitoring
from ..clock import utcnow
from ..presentation import render_step
from . import charts, metrics
from .auth import current_staff, staff_required

bp = Blueprint("dashboard", __name__, url_prefix="/staff")


@bp.get("/dashboard")
@staff_required()
def show():
    period = request.args.get("period", metrics.DEFAULT_PERIOD)
    if period not in metrics.PERIODS:
        abort(400, "Choose a period of today, 7 days or 30 days.")
    monitoring.flush_funnel()  # searches kept in Redis count as soon as staff look
    figures = metrics.dashboard(utcnow(), period)
    # htmx restoring history after a cache miss wants the whole page, not the block.
    restoring = request.headers.get("HX-History-Restore-Request") == "true"
    response = current_app.make_response(render_step(
        "staff/dashboard.html", None if restoring else ["metrics"],
        figures=figures, periods=metrics.PERIOD_NAMES,
        funnel_chart=charts.funnel_chart(figures.funnel.steps, figures.period_name),
        revenue_chart=charts.revenue_chart(figures.revenue.by_day, metrics.REPORTING_CURRENCY, figures.period_name),
        currency=metrics.REPORTING_CURRENCY,
        # The staff layout's nav (its own context processor serves only the staff blueprint).
        staff_user=current_staff(), dashboard_url=url_for("dashboard.show"),
    ))
    response.headers["Cache-Control"] = "private, no-store"  # live figures, staff only
    return response

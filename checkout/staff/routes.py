"""Staff console pages: sign-in, the bookings list, one booking, and its actions.

Views are thin: the reading is in `bookings`, the money in `refunds` and `actions`, the
second sign-in step in `two_factor`. Every POST carries the CSRF token; refunds,
cancellations and resetting someone's two-factor are for supervisors only.
"""
from __future__ import annotations

import segno
from flask import (
    Blueprint, abort, current_app, flash, has_request_context, make_response, redirect, render_template, request,
    session, url_for,
)
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from .. import audit
from ..bookings import cancellation
from ..bookings.acknowledgements import ACKNOWLEDGEMENTS
from ..clock import utcnow
from ..extensions import db
from ..models import Booking, StaffRole
from ..presentation import date_time, go_to, local_path, money, render_step
from ..web_session import SessionUnavailable
from . import actions, refunds, two_factor
from .actions import ActionRefused
from .auth import (
    SignInRefused, authenticate, check_not_locked, current_staff, pending_staff, record_failure, remember_device,
    sign_in, sign_out, skips_two_factor, staff_required, start_second_step, trusted_device,
)
from .bookings import (
    ANOMALIES, BookingSearch, booking_record, card_attempt, dispute_words, find_bookings, needs_attention, trip_route,
)
from .forms import CancelConfirmForm, CodeForm, EmptyForm, LoginForm, RefundConfirmForm, ResetTwoFactorForm, SearchForm

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.app_template_filter("staff_time")
def staff_time(moment) -> str:
    """Staff read every time in UTC (one zone for bookings from everywhere), in the one date format."""
    return date_time(moment, "UTC")


@bp.app_context_processor
def staff_context():
    """What templates/staff/layout.html needs, on every /staff page (the dashboard's too)."""
    if not has_request_context() or not request.path.startswith(bp.url_prefix):
        return {}
    dashboard = "dashboard.show"
    try:
        staff_user = current_staff()
    except SQLAlchemyError:  # rendering the error page for a database failure must not fail again
        db.session.rollback()
        staff_user = None
    except SessionUnavailable:  # nor the page for a session store that did not answer
        staff_user = None
    return {
        "staff_user": staff_user,
        "dashboard_url": url_for(dashboard) if dashboard in current_app.view_functions else "/staff/dashboard",
    }


# -- sign-in -----------------------------------------------------------------------------

@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
        try:
            signed_in = current_staff()
        except SessionUnavailable:  # who is signed in is unknown: the form, which grants nothing
            signed_in = None
        if signed_in is not None:
            return redirect(local_path(form.next.data) or url_for("staff.bookings"), code=303)
        notice = "Your session timed out. Please sign in again." if request.args.get("timed_out") else None
        return render_template("staff/login.html", form=form, error=None, notice=notice)
    if not form.validate():
        return render_template("staff/login.html", form=form, error=None, notice=None), 422
    try:
        user = authenticate(form.email.data, form.password.data, request.remote_addr or "unknown",
                            device=trusted_device(form.email.data))
    except SignInRefused as refused:
        response = make_response(render_template("staff/login.html", form=form, error=refused.message, notice=None),
                                 429 if refused.retry_after else 422)
        if refused.retry_after:
            response.headers["Retry-After"] = str(refused.retry_after)
        return response
    return _after_password(user, local_path(form.next.data))


def _after_password(user, next_path: str | None):
    """The code step for anyone enrolled, enrolment for a supervisor who is not; otherwise in."""
    if two_factor.enrolled(user):
        start_second_step(user, next_path)
        return redirect(url_for("staff.login_code"), code=303)
    if two_factor.required(user) and not skips_two_factor(user):
        start_second_step(user, next_path)
        return redirect(url_for("staff.two_factor_enrol"), code=303)
    how = "the demo account, without two-factor (demo only)" if two_factor.required(user) else "password only"
    return _signed_in(user, next_path, how)


def _signed_in(user, next_path: str | None, how: str, page=None):
    sign_in(user)
    audit.record(user.email, "sign_in", detail=f"from {request.remote_addr}; {how}")
    db.session.commit()
    return remember_device(page if page is not None else redirect(next_path or url_for("staff.bookings"), code=303), user)


def _code_page(form, error=None, status=200, retry_after=None):
    response = make_response(render_template("staff/login_code.html", form=form, error=error), status)
    if retry_after:
        response.headers["Retry-After"] = str(retry_after)
    return response


@bp.route("/login/code", methods=["GET", "POST"])
def login_code():
    """The second step: a code from the authenticator app, or a recovery code (each once)."""
    user = pending_staff()
    if user is None:
        return redirect(url_for("staff.login"), code=303)
    if not two_factor.enrolled(user):
        return redirect(url_for("staff.two_factor_enrol"), code=303)
    form = CodeForm()
    if request.method == "GET":
        return _code_page(form)
    if not form.validate():
        return _code_page(form, status=422)
    now, address = utcnow(), request.remote_addr or "unknown"
    try:
        device = check_not_locked(user.email, address, now, trusted_device(user.email))
    except SignInRefused as refused:
        return _code_page(form, refused.message, 429, refused.retry_after)
    how = two_factor.verify(user.id, form.code.data, now)
    if how is None:
        record_failure(user.email, address, now, "wrong authentication code", device)
        return _code_page(form, "That code is not right. Enter the 6-digit code your authenticator app shows "
                                "now (each code works once), or one of your recovery codes.", 422)
    return _signed_in(user, local_path(session.get("staff_pending_next")), f"with {how}")


# -- two-factor: enrolment, turning it off, resetting someone's ----------------------------

def _qr_svg(uri: str) -> str:
    """The otpauth URI as an inline SVG QR code: drawn here, nothing fetched from elsewhere."""
    # No fixed size (viewBox only): the stylesheet fits it to the screen.
    return segno.make(uri, error="m").svg_inline(omitsize=True, title="QR code for your authenticator app",
                                                 svgclass="qr")


def _enrol_page(user, secret: str, form, error=None, status=200):
    grouped = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
    response = make_response(render_template(
        "staff/two_factor_enrol.html", form=form, error=error, qr_svg=_qr_svg(two_factor.provisioning_uri(secret, user.email)),
        secret=grouped, required=two_factor.required(user)), status)
    response.headers["Cache-Control"] = "no-store"  # the page shows the secret
    return response


@bp.route("/two-factor/enrol", methods=["GET", "POST"])
def two_factor_enrol():
    """Scan the QR code (or type the key), then prove it with a code; recovery codes are shown once."""
    signed_in = current_staff()
    user = signed_in or pending_staff()
    if user is None:
        return redirect(url_for("staff.login"), code=303)
    if two_factor.enrolled(user):
        return redirect(url_for("staff.two_factor_settings" if signed_in else "staff.login_code"), code=303)
    form = CodeForm()
    secret = session.get("staff_enrol_secret")
    if request.method == "GET" or not secret:
        secret = session["staff_enrol_secret"] = two_factor.new_secret()
        return _enrol_page(user, secret, form)
    if not form.validate():
        return _enrol_page(user, secret, form, status=422)
    codes = two_factor.enrol(user.id, secret, form.code.data, actor=user.email)
    if codes is None:
        return _enrol_page(user, secret, form, "That code is not right. Check the app shows Fly2Any staff and "
                                               "enter the 6 digits it shows now.", 422)
    session.pop("staff_enrol_secret", None)
    next_path = local_path(session.get("staff_pending_next")) if signed_in is None else None
    page = make_response(render_template("staff/recovery_codes.html", codes=codes,
                                         continue_url=next_path or url_for("staff.bookings")))
    page.headers["Cache-Control"] = "no-store"  # shown once: never from a cache
    if signed_in is None:
        return _signed_in(user, next_path, "after enrolling two-factor", page=page)
    return page


@bp.get("/two-factor")
@staff_required()
def two_factor_settings():
    user = current_staff()
    return render_template("staff/two_factor.html", user=user, enrolled=two_factor.enrolled(user),
                           required=two_factor.required(user), codes_left=two_factor.recovery_codes_left(user),
                           disable_form=CodeForm(formdata=None), reset_form=ResetTwoFactorForm(formdata=None),
                           problem=None)


@bp.post("/two-factor/disable")
@staff_required()
def two_factor_disable():
    user = current_staff()
    form = CodeForm()
    if not form.validate() or not two_factor.disable(user.id, form.code.data):
        problem = ("Supervisors must keep two-factor sign-in." if two_factor.required(user) else
                   "That code is not right: two-factor sign-in is still on.")
        return render_template("staff/two_factor.html", user=user, enrolled=two_factor.enrolled(user),
                               required=two_factor.required(user), codes_left=two_factor.recovery_codes_left(user),
                               disable_form=form, reset_form=ResetTwoFactorForm(formdata=None), problem=problem), 422
    flash("Two-factor sign-in is off. You sign in with your password only.", "success")
    return go_to(url_for("staff.two_factor_settings"))


@bp.post("/two-factor/reset")
@staff_required(StaffRole.SUPERVISOR)
def two_factor_reset():
    """A lost phone: the staff member's authenticator and recovery codes are forgotten."""
    user = current_staff()
    form = ResetTwoFactorForm()
    problem = None
    if form.validate():
        try:
            target = two_factor.reset(form.email.data, actor=user.email)
        except two_factor.NoSuchStaff as missing:
            problem = str(missing)
        else:
            flash(f"Two-factor sign-in for {target.email} is reset"
                  + (": they set it up again at their next sign-in." if two_factor.required(target) else "."), "success")
            return go_to(url_for("staff.two_factor_settings"))
    return render_template("staff/two_factor.html", user=user, enrolled=two_factor.enrolled(user),
                           required=two_factor.required(user), codes_left=two_factor.recovery_codes_left(user),
                           disable_form=CodeForm(formdata=None), reset_form=form, problem=problem), 422


@bp.post("/logout")
def logout():
    if not EmptyForm().validate():
        abort(400, "The sign-out form had expired. Please try again.")
    user = current_staff()
    if user is not None:
        audit.record(user.email, "sign_out")
        db.session.commit()
    sign_out()
    return redirect(url_for("staff.login"), code=303)


@bp.get("/")
@staff_required()
def index():
    return redirect(url_for("staff.bookings"), code=303)


# -- the bookings list ---------------------------------------------------------------------

def _page_url(**changes) -> str:
    args = {k: v for k, v in request.args.items(multi=False) if v and k != "after"}
    args.update({k: v for k, v in changes.items() if v})
    return url_for("staff.bookings", **args)


@bp.get("/bookings")
@staff_required()
def bookings():
    """The search page; with htmx, only the results block (as the person types)."""
    form = SearchForm(request.args)
    context = dict(form=form, page=None, anomalies=ANOMALIES, page_url=_page_url, card_attempt=card_attempt,
                   needs_attention=needs_attention, trip_route=trip_route)
    if not form.validate():
        return render_step("staff/bookings.html", ["results"], **context), 422
    search = BookingSearch(text=form.q.data or "", status=form.status.data or None, booked_from=form.booked_from.data,
                           booked_to=form.booked_to.data, anomaly=form.anomaly.data or None)
    context["page"] = find_bookings(search, after=form.after.data)
    return render_step("staff/bookings.html", ["results"], **context)


# -- one booking -----------------------------------------------------------------------

def _record_or_404(reference: str):
    record = booking_record(reference)
    if record is None:
        abort(404, f"No booking with the reference {reference}.")
    return record


def _booking_id_or_404(reference: str) -> int:
    booking_id = db.session.execute(
        select(Booking.id).where(Booking.reference == reference.strip().upper())).scalar_one_or_none()
    if booking_id is None:
        abort(404, f"No booking with the reference {reference}.")
    return booking_id


def _show(reference: str, status: int = 200, **problems):
    """The booking page, with a problem beside the action it concerns (and what was chosen kept)."""
    record = _record_or_404(reference)
    context = dict(record=record, booking=record.booking, refund_error=None, cancel_error=None,
                   resend_error=None, passport_error=None, revealed={},
                   ticked=set(), card_attempt=card_attempt, needs_attention=needs_attention, trip_route=trip_route,
                   dispute_words=dispute_words,
                   refunded_lines=cancellation.refunded_line_ids(record.booking),
                   acknowledgement_titles={a.key: a.title for a in ACKNOWLEDGEMENTS})
    context.update(problems)
    return render_template("staff/booking.html", **context), status


@bp.get("/bookings/<reference>")
@staff_required()
def booking(reference: str):
    return _show(reference)


@bp.post("/bookings/<reference>/resend")
@staff_required()
def resend(reference: str):
    if not EmptyForm().validate():
        abort(400, "The form had expired. Please try again.")
    booking_id = _booking_id_or_404(reference)
    try:
        address = actions.resend_confirmation(booking_id, current_staff().email)
    except ActionRefused as refused:
        return _show(reference, refused.status, resend_error=refused.message)
    flash(f"The confirmation email is queued to {address}.", "success")
    return go_to(url_for("staff.booking", reference=reference))


@bp.post("/bookings/<reference>/passengers/<int:position>/passport")
@staff_required()
def reveal_passport(reference: str, position: int):
    """The one page that shows a full passport number: this answer only, never cached, audited."""
    if not EmptyForm().validate():
        abort(400, "The form had expired. Please try again.")
    booking_id = _booking_id_or_404(reference)
    try:
        number = actions.reveal_passport_number(booking_id, position, current_staff().email)
    except ActionRefused as refused:
        return _show(reference, refused.status, passport_error=refused.message)
    page, status = _show(reference, revealed={position: number})
    response = make_response(page, status)
    response.headers["Cache-Control"] = "no-store"
    return response


def _ticked_lines() -> list[int]:
    try:
        return [int(value) for value in request.args.getlist("line")]
    except ValueError:
        abort(422, "The chosen price lines were not understood. Please go back and choose again.")


@bp.get("/bookings/<reference>/refund")
@staff_required(StaffRole.SUPERVISOR)
def refund_quote(reference: str):
    """The quote: what the ticked lines (or a full refund) give back. Moves no money."""
    record = _record_or_404(reference)
    ticked = _ticked_lines()
    try:
        quote = refunds.quote_refund(record.booking, ticked, full=request.args.get("full") == "1")
    except ActionRefused as refused:
        return _show(reference, refused.status, refund_error=refused.message, ticked=set(ticked))
    form = RefundConfirmForm(formdata=None, amount=quote.amount, line_ids=quote.line_ids,
                             full="1" if quote.full else "", key=quote.key)
    return render_template("staff/refund_quote.html", booking=record.booking, quote=quote, form=form)


@bp.post("/bookings/<reference>/refund")
@staff_required(StaffRole.SUPERVISOR)
def refund_confirm(reference: str):
    booking_id = _booking_id_or_404(reference)
    form = RefundConfirmForm()
    if not form.validate():
        if set(form.errors) == {"reason"}:  # the quote stands: show it again with what was typed
            record = _record_or_404(reference)
            try:
                quote = refunds.quote_refund(record.booking, form.line_id_list(), form.full.data == "1", form.key.data)
            except ActionRefused as refused:
                return _show(reference, refused.status, refund_error=refused.message)
            return render_template("staff/refund_quote.html", booking=record.booking, quote=quote, form=form), 422
        problem = " ".join(error for errors in form.errors.values() for error in errors)
        return _show(reference, 422, refund_error=f"The refund was not made: {problem} Please ask for a new quote.")
    try:
        done = refunds.confirm_refund(booking_id, form.line_id_list(), form.full.data == "1", form.amount.data,
                                      form.key.data, current_staff().email, reason=form.reason.data)
    except ActionRefused as refused:
        return _show(reference, refused.status, refund_error=refused.message)
    amount = money(done.refund.amount, done.refund.currency)
    if done.repeated:
        flash(f"This refund of {amount} had already been made; nothing more was refunded.", "info")
    elif done.waiting:
        flash(f"The refund of {amount} is recorded, but the payment provider has not answered yet. "
              "It is asked again automatically within minutes; nothing will be refunded twice.", "info")
    else:
        flash(f"Refunded {amount}." + (" The booking is cancelled." if done.cancelled else ""), "success")
    return go_to(url_for("staff.booking", reference=reference))


@bp.get("/bookings/<reference>/cancel")
@staff_required(StaffRole.SUPERVISOR)
def cancel_quote(reference: str):
    record = _record_or_404(reference)
    try:
        terms = actions.cancellation_quote(record.booking)
    except ActionRefused as refused:
        return _show(reference, refused.status, cancel_error=refused.message)
    form = CancelConfirmForm(formdata=None, expected_refund=terms.refund_amount)
    return render_template("staff/cancel_quote.html", booking=record.booking, terms=terms, form=form)


@bp.post("/bookings/<reference>/cancel")
@staff_required(StaffRole.SUPERVISOR)
def cancel_confirm(reference: str):
    booking_id = _booking_id_or_404(reference)
    form = CancelConfirmForm()
    if not form.validate():
        return _show(reference, 422, cancel_error="The quoted refund was missing. Please ask for a new quote.")
    try:
        booking, refunded = actions.cancel_booking(booking_id, current_staff().email, form.expected_refund.data)
    except ActionRefused as refused:
        return _show(reference, refused.status, cancel_error=refused.message)
    flash(f"Booking cancelled; {money(refunded, booking.currency)} refunded.", "success")
    return go_to(url_for("staff.booking", reference=reference))

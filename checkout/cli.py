"""Flask CLI commands: `flask seed`."""
from __future__ import annotations

from datetime import date

import click
from flask import Flask


def register_cli(app: Flask) -> None:
    @app.cli.command("seed")
    @click.option("--days", default=60, show_default=True, help="How many days of flights, from --start.")
    @click.option("--start", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
                  help="First day of flights (default: today).")
    @click.option("--history", is_flag=True, help="Also add a month of past demo bookings (for the dashboard).")
    def seed(days: int, start, history: bool):
        """Load the demo catalogue: airports, fares, bundles and daily flights."""
        from .catalog.seed import seed_all
        first = start.date() if start else date.today()
        created = seed_all(first, days)
        click.echo(f"Seeded {created} new flights from {first.isoformat()} for {days} days.")
        if history:
            from demo.history import seed_history  # tooling outside the app: loaded only when asked for
            report = seed_history()
            click.echo("Past bookings are already there; nothing added." if report.skipped else
                       f"Added {report.bookings} past bookings ({', '.join(f'{n} {s}' for s, n in sorted(report.by_status.items()))}).")

    @app.cli.command("sweep")
    @click.option("--loop", is_flag=True, help="Keep sweeping every --every seconds (the Procfile's sweeper).")
    @click.option("--every", default=60, show_default=True)
    def sweep(loop: bool, every: int):
        """Expire unpaid bookings past their hold and reconcile stale payment attempts."""
        import time

        from .clock import utcnow
        from .extensions import db
        from .payments import sweep as run_sweep
        from .staff import dashboard_days
        while True:
            report = run_sweep()
            # After the sweep, which writes the funnel stages kept in Redis into their days.
            try:
                rolled = len(dashboard_days.roll_up(utcnow()))
            except Exception as err:  # noqa: BLE001 - the dashboard counts a missing day from the rows
                db.session.rollback()
                app.logger.exception("sweeper could not roll up the dashboard's days")
                report.errors.append(f"dashboard days: {err}")
                rolled = 0
            click.echo(f"expired {len(report.expired)}, reconciled {len(report.reconciled)}, "
                       f"drafts closed {report.drafts_closed}, sessions purged {report.sessions_purged}, "
                       f"dashboard days stored {rolled}, errors {len(report.errors)}")
            db.session.remove()
            if not loop:
                break
            time.sleep(every)

    @app.cli.command("create-staff")
    @click.argument("email")
    @click.option("--role", type=click.Choice(["agent", "supervisor"]), required=True)
    @click.password_option(help="Asked for at a prompt (or read from stdin); never an argument in production.")
    def create_staff_command(email: str, role: str, password: str):
        """Create a staff account (or reset its password and role)."""
        from .staff.auth import create_staff
        try:
            user = create_staff(email, password, role)
        except ValueError as err:
            raise click.BadParameter(str(err))
        click.echo(f"Staff account {user.email} ({user.role}) is ready.")

    @app.cli.command("reset-two-factor")
    @click.argument("email")
    def reset_two_factor_command(email: str):
        """Forget a staff member's authenticator and recovery codes (a lost phone). Audited."""
        import getpass

        from .staff.two_factor import NoSuchStaff, reset
        try:
            user = reset(email, actor=f"flask reset-two-factor ({getpass.getuser()})")
        except NoSuchStaff as missing:
            raise click.BadParameter(str(missing))
        click.echo(f"Two-factor sign-in for {user.email} is reset"
                   + (": they set it up again at their next sign-in." if user.role == "supervisor" else "."))

    @app.cli.command("create-api-token")
    @click.argument("name")
    @click.option("--staff", "staff_email", default=None, help="Act as this staff account (its role applies).")
    def create_api_token_command(name: str, staff_email: str | None):
        """Create a bearer token for the bookings API. It is shown once."""
        from sqlalchemy import select

        from .extensions import db
        from .models import StaffUser
        from .staff.auth import create_api_token
        owner = None
        if staff_email:
            owner = db.session.execute(select(StaffUser).where(StaffUser.email == staff_email.lower())).scalar_one_or_none()
            if owner is None:
                raise click.BadParameter(f"no staff account {staff_email}")
        click.echo(create_api_token(name, owner))

    @app.cli.command("rotate-pii-key")
    def rotate_pii_key():
        """Re-encrypt stored passport, redress and Known Traveler numbers with the first key of PII_ENCRYPTION_KEYS."""
        from .bookings.personal_data import rotate_passport_key
        count = rotate_passport_key()
        click.echo(f"Re-encrypted the numbers of {count} passenger{'' if count == 1 else 's'} with the newest key. "
                   "Keys after the first can be removed from PII_ENCRYPTION_KEYS now.")

    @app.cli.command("purge-pii")
    @click.option("--after-travel-days", "days", type=click.IntRange(min=1), required=True,
                  help="Remove travel documents from bookings whose flight departed more than this many days ago.")
    def purge_pii(days: int):
        """Remove travel documents, dates of birth, nationality, Secure Flight details and phone after travel (audited)."""
        from .bookings.personal_data import purge_after_travel
        from .formatting import date_time
        report = purge_after_travel(days)
        click.echo(f"Removed personal data from {report.bookings} booking{'' if report.bookings == 1 else 's'} "
                   f"whose flights departed before {date_time(report.departed_before)}.")

    from .notifications.cli import register_cli as register_notifications_cli
    register_notifications_cli(app)
    @app.cli.command("check-payment-page", add_help_option=False,
                     context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
    @click.pass_context
    def check_payment_page(ctx: click.Context):
        """Check the payment page against its baseline.

        Runs tools/payment_page_check.py: `flask check-payment-page --help` lists its options.
        """
        # The tool is tooling, not the app (ADR 0173): loaded when the command runs, not by every
        # process that builds the app. Its own command, with its arguments and options, gets the rest.
        from types import SimpleNamespace

        from flask.cli import AppGroup

        from tools.payment_page_check import register_cli as register_tool
        tool = AppGroup()
        register_tool(SimpleNamespace(cli=tool))
        command = tool.commands["check-payment-page"]
        with command.make_context(ctx.info_name, list(ctx.args), parent=ctx.parent) as inner:
            return command.invoke(inner)

"""Template helpers: money and date filters, the page-or-fragment renderer, Vary."""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, make_response, redirect, render_template, request
from jinja2_fragments.flask import render_blocks

from .bookings.service import checked_bags  # the "1 included + 0 extra" filter
# The one money format and the one date format are defined in formatting.py, below the domain,
# so emails and staff messages built in Python use them too; here they become template filters
# (and presentation.money, presentation.local_date ... for the screens).
from .formatting import date_time, day, local_date, local_time, machine_time, money, with_money
from .notifications.sender import public_url  # absolute URLs on PUBLIC_BASE_URL, never the Host header


def duration(minutes: int) -> str:
    return f"{minutes // 60}h {minutes % 60:02d}m"


def is_fragment_request() -> bool:
    """A targeted htmx request wants a fragment; a boosted one (or none) wants the page, and
    so does htmx restoring a page from history (Back, Forward): it puts what it gets in
    place of the whole page, so a fragment there left a bare list or a blank page."""
    headers = request.headers
    return (headers.get("HX-Request") == "true" and headers.get("HX-Boosted") != "true"
            and headers.get("HX-History-Restore-Request") != "true")


def render_step(template: str, blocks: list[str] | None = None, **context) -> str:
    """Render the whole page, or only `blocks` of it for an htmx request.

    One template serves both, so every fragment URL also serves a full page. In a fragment
    `oob` is true and `oob_blocks` names the blocks sent, so a block nested in another
    marks itself out of band only when it is sent on its own.
    """
    if blocks and is_fragment_request():
        return render_blocks(template, blocks, oob=True, oob_blocks=blocks, **context)
    return render_template(template, oob=False, oob_blocks=(), **context)


LONGEST_REDIRECT = 2000  # our own paths with their queries are far shorter


def local_path(target) -> str | None:
    """`target` when it is a path on this site, otherwise None: the one check for every
    redirect target a request supplies (the staff sign-in's `next`, the `back` of "Give me
    more time"). Callers fall back to a page of their own.

    Only printable ASCII with no spaces: browsers drop tabs and newlines inside a URL
    ("/<TAB>/evil.example" is "//evil.example"), read a backslash as a slash ("/\\evil"),
    CR/LF cannot go in a header, and a header with other characters cannot be sent at all
    (a 500). Our own paths are all ASCII (url_for quotes the rest).
    """
    if not isinstance(target, str) or not 0 < len(target) <= LONGEST_REDIRECT:
        return None
    if not all("!" <= c <= "~" for c in target):
        return None
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    parts = urlsplit(target)
    return target if not (parts.scheme or parts.netloc) else None


def go_to(url: str):
    """After a successful POST: 303 (post/redirect/get), or HX-Redirect for a targeted htmx
    request, whose swap target must not receive a whole page. Never HX-* on a 3xx."""
    if is_fragment_request():
        response = make_response("", 200)
        response.headers["HX-Redirect"] = url
        return response
    return redirect(url, code=303)


def init_app(app: Flask) -> None:
    app.jinja_env.filters["money"] = money
    app.jinja_env.filters["local_time"] = local_time
    app.jinja_env.filters["local_date"] = local_date
    app.jinja_env.filters["day"] = day
    app.jinja_env.filters["date_time"] = date_time
    app.jinja_env.filters["machine_time"] = machine_time
    app.jinja_env.filters["with_money"] = with_money
    app.jinja_env.filters["duration"] = duration
    app.jinja_env.filters["checked_bags"] = checked_bags
    app.jinja_env.globals["public_url"] = public_url
    app.jinja_env.trim_blocks = True
    app.jinja_env.lstrip_blocks = True

    @app.after_request
    def vary_on_htmx(response):
        # One URL answers with a page or a fragment: caches must key on the header.
        response.vary.add("HX-Request")
        return response

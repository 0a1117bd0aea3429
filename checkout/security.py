"""Browser-facing hardening in one place: the client's real address behind a proxy, safe
JSON parsing, and the security headers every answer carries (one after_request).

Content-Security-Policy: scripts only from our origin or with this request's nonce; no
plugins, no <base>, forms post only to us, and no site may frame us. Stripe's origins are
allowed on the payment page alone (`payment_page`), and the offline Stripe.js stand-in is
served from our own origin, so `STRIPE_JS_URL` / `STRIPE_API_BASE` decide what is allowed.
Browsers report violations to /csp-report, which logs them.
"""
from __future__ import annotations

import functools
import ipaddress
import json
import secrets
from urllib.parse import urlsplit

from flask import Blueprint, Flask, abort, current_app, g, make_response, request
from flask.json.provider import DefaultJSONProvider
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.serving import WSGIRequestHandler
from werkzeug.urls import iri_to_uri

from .extensions import csrf, limiter
from .parsing import parse_json_document
from .presentation import local_path

# What we call ourselves in the Server header (see gunicorn.conf.py for gunicorn's own).
SERVER_NAME = "Fly2Any"
# Stripe's frames (Payment Element, 3-D Secure) and the API Stripe.js talks to.
STRIPE_FRAMES = ("https://js.stripe.com", "https://*.js.stripe.com", "https://hooks.stripe.com")
STRIPE_API = "https://api.stripe.com"
REPORT_MAX_BYTES = 16 * 1024  # one violation report is well under 2 KB

bp = Blueprint("security", __name__)


class SafeJSONProvider(DefaultJSONProvider):
    """Request bodies are read by parsing.parse_json_document, the one reader of outside JSON:
    too deep, NaN or Infinity is invalid JSON (a ValueError, which get_json(silent=True) turns
    into None), never a RecursionError (a 500)."""

    def loads(self, s, **kwargs):
        return parse_json_document(s, **kwargs)  # kwargs: Flask's tagged session serialiser passes object_hook


class UndisclosedServerHandler(WSGIRequestHandler):
    """Werkzeug's server (the demo) without "Werkzeug/x Python/y" in its Server header."""

    def version_string(self) -> str:
        return SERVER_NAME


def csp_nonce() -> str:
    """This request's script nonce (templates: <script nonce="{{ csp_nonce() }}">)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def payment_page(view):
    """The page that mounts Stripe.js: Stripe's origins are allowed here and nowhere else.

    htmx never runs scripts in swapped content (allowScriptTags: false) and a boosted
    swap keeps the previous page's policy, so a boosted request for this page is told to
    load it as a whole page instead (HX-Redirect to itself).
    """
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if request.headers.get("HX-Boosted") == "true":
            response = make_response("", 200)
            # The path as the browser sent it, quoted back to ASCII ("/booking/。" would be a header
            # the server cannot send: a 500), and checked like every redirect target.
            response.headers["HX-Redirect"] = local_path(iri_to_uri(request.full_path.rstrip("?"))) or "/"
            return response
        g.payment_page = True
        return view(*args, **kwargs)
    return wrapper


def _origin(url: str) -> str | None:
    """scheme://host[:port] of an absolute URL; None for a path on our own origin."""
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def content_security_policy(nonce: str, for_payment: bool) -> str:
    config = current_app.config
    scripts = ["'self'", f"'nonce-{nonce}'"]
    connect = ["'self'"]
    directives = {}
    if for_payment:
        stripe_js = _origin(config.get("STRIPE_JS_URL", ""))
        if stripe_js:
            scripts.append(stripe_js)
            if stripe_js == "https://js.stripe.com":
                scripts.append("https://*.js.stripe.com")
        # Offline, the stand-in talks to localstripe; online, Stripe.js talks to Stripe's API.
        connect.append(_origin(config.get("STRIPE_API_BASE", "")) or STRIPE_API)
        directives["frame-src"] = " ".join(STRIPE_FRAMES)
    policy = {
        "default-src": "'self'",
        "script-src": " ".join(scripts),
        "connect-src": " ".join(connect),
        **directives,
        "object-src": "'none'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
        "report-uri": "/csp-report",
    }
    return "; ".join(f"{name} {value}" for name, value in policy.items())


def _add_security_headers(response):
    headers = response.headers
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"  # for browsers that ignore frame-ancestors
    # A view may ask for a stricter policy (the payment return URL carries the client secret).
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers["Content-Security-Policy"] = content_security_policy(csp_nonce(), g.get("payment_page", False))
    if current_app.config.get("HSTS_SECONDS"):
        headers["Strict-Transport-Security"] = f"max-age={current_app.config['HSTS_SECONDS']}; includeSubDomains"
    # Every page carries a session's CSRF token and most carry a traveller's booking, names
    # or passport: no browser or shared cache keeps any of them. Only our static files are
    # cacheable.
    cacheable = request.path.startswith(current_app.static_url_path + "/")
    if not cacheable and "no-store" not in headers.get("Cache-Control", ""):
        headers["Cache-Control"] = "no-store"
    return response


def _without_query(uri) -> str:
    """A reported URL without its query: the return URL's carries a payment's client secret."""
    return str(uri or "").split("?", 1)[0][:300]


@bp.post("/csp-report")
@limiter.limit("60 per minute")
def csp_report():
    """Where browsers send Content-Security-Policy violations: logged, one line each."""
    # Larger bodies: 413 before parsing (the header is checked too, since the edge checks in
    # inputs.py may already have read a body whose size was declared).
    if (request.content_length or 0) > REPORT_MAX_BYTES:
        abort(413)
    request.max_content_length = REPORT_MAX_BYTES
    body = request.get_json(force=True, silent=True)
    report = body.get("csp-report") if isinstance(body, dict) else None
    if not isinstance(report, dict):
        return "", 400
    current_app.logger.warning("CSP violation %s", json.dumps({
        "document": _without_query(report.get("document-uri")),
        "directive": str(report.get("effective-directive") or report.get("violated-directive") or "")[:100],
        "blocked": _without_query(report.get("blocked-uri")),
        "source": _without_query(report.get("source-file")),
        "line": report.get("line-number") if isinstance(report.get("line-number"), int) else None,
    }))
    return "", 204


csrf.exempt(csp_report)  # browsers send reports without our token


class TrustedProxyFix:
    """ProxyFix for requests whose peer is one of our proxies, and only for those.

    X-Forwarded-For is believed only when the connection comes from a network in
    TRUSTED_PROXIES: anyone who can reach the app directly could otherwise pick the address
    that rate limits and lock-outs key on (a new one per request). A request from anywhere
    else keeps its peer address (REMOTE_ADDR), whatever headers it sends.
    """

    def __init__(self, wsgi_app, hops: int, networks: list):
        self.direct = wsgi_app
        self.proxied = ProxyFix(wsgi_app, x_for=hops, x_proto=hops)
        self.networks = networks

    def from_proxy(self, peer: str | None) -> bool:
        try:
            address = ipaddress.ip_address((peer or "").strip())
        except ValueError:
            return False
        # An IPv4 peer on a dual-stack socket arrives as ::ffff:a.b.c.d.
        address = getattr(address, "ipv4_mapped", None) or address
        return any(address in network for network in self.networks)

    def __call__(self, environ, start_response):
        if self.from_proxy(environ.get("REMOTE_ADDR")):
            return self.proxied(environ, start_response)
        return self.direct(environ, start_response)


def init_app(app: Flask) -> None:
    hops = int(app.config.get("TRUSTED_PROXY_HOPS") or 0)
    if hops:
        # Behind `hops` proxies, the client is the address they appended to X-Forwarded-For
        # (and the scheme the first one saw), when the request comes from one of them. With
        # 0 those headers are ignored: anyone can send them.
        from config import proxy_networks  # the one reader; config.py checked the value before we got here
        app.wsgi_app = TrustedProxyFix(app.wsgi_app, hops, proxy_networks(app.config.get("TRUSTED_PROXIES")))
    app.json = SafeJSONProvider(app)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
    app.register_blueprint(bp)
    app.after_request(_add_security_headers)

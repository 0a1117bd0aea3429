"""Browser-facing hardening in one place: the client's real address behind a proxy and safe
JSON parsing."""
from __future__ import annotations

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from werkzeug.middleware.proxy_fix import ProxyFix


class SafeJSONProvider(DefaultJSONProvider):
    """JSON nested a few thousand levels deep makes Python's parser raise RecursionError,
    which request.get_json(silent=True) does not catch (a 500). Read it as invalid JSON."""

    def loads(self, s, **kwargs):
        try:
            return super().loads(s, **kwargs)
        except RecursionError:
            raise ValueError("JSON nested too deeply") from None


def init_app(app: Flask) -> None:
    hops = int(app.config.get("TRUSTED_PROXY_HOPS") or 0)
    if hops:
        # Behind `hops` proxies, the client is the address they appended to X-Forwarded-For
        # (and the scheme the first one saw). With 0 those headers are ignored: anyone can
        # send them.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    app.json = SafeJSONProvider(app)

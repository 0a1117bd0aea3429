"""Static files: fingerprinted URLs, cached for a year, compressed once per process.

`url_for('static', filename=...)` adds `?v=<first 12 hex of the file's SHA-256>` (a
url_defaults hook), so every template links the current content without naming versions.
A request carrying the current version is answered `public, max-age=31536000, immutable`:
the next release links another URL. Any other (no version, an old one) gets `no-cache`, so a
stale link never pins old content for a year.

Files are read and compressed (brotli quality 11, gzip 9) once per process and again only when
their modification time changes, so serving one is a dictionary look-up and a stat: neither
the request's interpreter nor Flask-Compress compresses them again on every request.

Not Flask-Static-Digest: it sets no headers and needs a build whose output goes stale (ADR 0123).
"""
from __future__ import annotations

import gzip
import hashlib
import mimetypes
import os
from dataclasses import dataclass, field

import brotli
from flask import Flask, Response, abort, current_app, request
from werkzeug.security import safe_join

YEAR = 365 * 24 * 3600
MIN_COMPRESS_BYTES = 500  # the same threshold as the pages' (COMPRESS_MIN_SIZE)
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg+xml")


@dataclass(frozen=True)
class StaticFile:
    body: bytes
    mimetype: str
    version: str
    encoded: dict[str, bytes] = field(default_factory=dict)  # "br" / "gzip" -> compressed body


_loaded: dict[str, tuple[int, StaticFile]] = {}


def load(folder: str, filename: str) -> StaticFile | None:
    path = safe_join(folder, filename)
    if path is None or not os.path.isfile(path):
        return None
    modified = os.stat(path).st_mtime_ns
    cached = _loaded.get(path)
    if cached is not None and cached[0] == modified:
        return cached[1]
    with open(path, "rb") as handle:
        body = handle.read()
    mimetype = mimetypes.guess_type(path)[0] or "application/octet-stream"
    encoded = {}
    if len(body) >= MIN_COMPRESS_BYTES and mimetype.startswith(COMPRESSIBLE):
        encoded = {"br": brotli.compress(body, quality=11), "gzip": gzip.compress(body, 9, mtime=0)}
    loaded = StaticFile(body, mimetype, hashlib.sha256(body).hexdigest()[:12], encoded)
    _loaded[path] = (modified, loaded)
    return loaded


def version_of(filename: str) -> str | None:
    found = load(current_app.static_folder, filename)
    return found.version if found else None


def serve(filename: str) -> Response:
    found = load(current_app.static_folder, filename)
    if found is None:
        abort(404)
    accepted = request.accept_encodings
    encoding = next((name for name in ("br", "gzip") if name in found.encoded and accepted[name]), None)
    response = Response(found.encoded[encoding] if encoding else found.body, mimetype=found.mimetype)
    if encoding:
        response.headers["Content-Encoding"] = encoding
    response.vary.add("Accept-Encoding")
    response.set_etag(f"{found.version}-{encoding or 'identity'}")
    current = request.args.get("v") == found.version
    response.headers["Cache-Control"] = f"public, max-age={YEAR}, immutable" if current else "no-cache"
    return response.make_conditional(request)


def _fingerprint(endpoint: str, values: dict) -> None:
    if endpoint == "static" and "v" not in values and values.get("filename"):
        version = version_of(values["filename"])
        if version:
            values["v"] = version


def init_app(app: Flask) -> None:
    app.view_functions["static"] = serve
    app.url_defaults(_fingerprint)

"""Answers compressed when the client accepts it; static files fingerprinted and cached a year."""
from __future__ import annotations

import gzip
import hashlib
import re
from pathlib import Path

import brotli
import pytest

from tests.conftest import travel_day

STATIC = Path(__file__).resolve().parents[2] / "static"
YEAR = "public, max-age=31536000, immutable"


def _results_url() -> str:
    return f"/flights?origin=JFK&destination=LHR&date={travel_day().isoformat()}&adults=2"


@pytest.mark.parametrize("encoding, decode", [("br", brotli.decompress), ("gzip", gzip.decompress)])
def test_pages_are_compressed_when_the_client_accepts_it(client, encoding, decode):
    plain = client.get(_results_url())
    packed = client.get(_results_url(), headers={"Accept-Encoding": f"{encoding}, identity"})
    assert plain.status_code == packed.status_code == 200
    assert "Content-Encoding" not in plain.headers
    assert packed.headers["Content-Encoding"] == encoding
    assert len(packed.data) < len(plain.data) / 3
    html = decode(packed.data).decode()
    assert "Select" in html and html.count('class="offer"') == plain.get_data(as_text=True).count('class="offer"')
    for response in (plain, packed):
        assert "Accept-Encoding" in response.headers["Vary"] and "HX-Request" in response.headers["Vary"]
        assert response.headers["Cache-Control"] == "no-store"  # a page is still never stored


def test_brotli_is_preferred_and_json_is_compressed_too(client):
    response = client.get(f"/api/flights?origin=JFK&destination=LHR&date={travel_day().isoformat()}&adults=1",
                          headers={"Accept-Encoding": "gzip, deflate, br"})
    assert response.headers["Content-Encoding"] == "br"
    assert b'"offers"' in brotli.decompress(response.data)


def test_tiny_answers_are_not_compressed(client):
    response = client.get("/airports/suggest?q=zz", headers={"Accept-Encoding": "br, gzip"})
    assert response.status_code == 200 and len(response.data) < 500
    assert "Content-Encoding" not in response.headers


def _linked(html: str, name: str) -> str:
    return re.search(rf'(?:href|src)="(/static/{re.escape(name)}\?v=[0-9a-f]+)"', html).group(1)


def test_static_files_are_fingerprinted_and_cached_for_a_year(client):
    html = client.get("/").get_data(as_text=True)
    for name in ("css/checkout.css", "vendor/htmx-2.0.11.min.js", "js/checkout.js"):
        url = _linked(html, name)
        content = (STATIC / name).read_bytes()
        assert url.endswith("?v=" + hashlib.sha256(content).hexdigest()[:12])
        response = client.get(url, headers={"Accept-Encoding": "br"})
        assert response.status_code == 200 and response.headers["Cache-Control"] == YEAR
        assert response.headers["Content-Encoding"] == "br" and "Accept-Encoding" in response.headers["Vary"]
        assert brotli.decompress(response.data) == content
        gzipped = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert gzip.decompress(gzipped.data) == content
        assert client.get(url).data == content  # and as it is, for a client that accepts neither
        # A revalidation after the year (or a reload) costs a 304, not the file.
        again = client.get(url, headers={"Accept-Encoding": "br", "If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304 and again.data == b""


def test_an_unversioned_or_outdated_link_is_not_cached_for_a_year(client):
    for url in ("/static/css/checkout.css", "/static/css/checkout.css?v=000000000000"):
        response = client.get(url)
        assert response.status_code == 200 and response.headers["Cache-Control"] == "no-cache"
    assert client.get("/static/css/nothing-here.css").status_code == 404
    assert client.get("/static/../config.py").status_code == 404

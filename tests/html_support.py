"""The W3C's Nu HTML Checker (vnu, the validator behind validator.w3.org/nu) over our pages.

One Java process checks every document given (starting Java costs a second or two), so a
test collects its pages first and validates them together. `make vnu` (part of `make test`)
installs Java (Debian's default-jre-headless) and the checker, npm's vnu-jar at the version
the Makefile pins, into the virtualenv's share/ (docs/adr/0137-valid-html-checked-by-vnu-from-npm.md).
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import unquote, urlparse


# Where htmx puts a fragment, when HTML cares: {path: element}. Suggestions are <option>s.
INSIDE = {"/airports/suggest": "datalist"}


def as_document(html: str, path: str) -> str:
    """An answer of ours as vnu checks it: a page as it is, a fragment inside an empty page."""
    if html.lstrip()[:15].lower() == "<!doctype html>":
        return html
    return fragment_page(html, INSIDE.get(path, ""))


def fragment_page(fragment: str, inside: str = "") -> str:
    """An htmx fragment as a document vnu can check: an empty valid page around it, so only the
    fragment's own errors show; `inside`: the element htmx swaps it into, when HTML cares
    (options go in a <datalist>). The fragment's lines keep their numbers."""
    opening, closing = (f'<{inside} id="fragment">', f"</{inside}>") if inside else ("", "")
    return ('<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Fragment</title></head>'
            f"<body>{opening}{fragment}\n{closing}</body></html>")


# One short run: the quick JIT compiler only (measured: a third of the CPU time of the default
# two compilers on 26 pages, the same errors); its deeper stack frames need a bigger stack
# than the 512 KB vnu asks for.
JVM_OPTIONS = ("-XX:TieredStopAtLevel=1", "-Xss4m")


def _jar() -> Path:
    """The newest vnu.jar `make vnu` put in the virtualenv."""
    found = sorted(Path(sys.prefix, "share").glob("vnu-*/vnu.jar"),
                   key=lambda jar: tuple(map(int, jar.parent.name.removeprefix("vnu-").split("."))))
    assert found, f"no vnu.jar under {sys.prefix}/share: run `make vnu`"
    return found[-1]


def vnu_errors(documents: dict[str, str]) -> list[str]:
    """Every error vnu finds in `documents` ({name: HTML text}), as "name, line N: message"."""
    java = shutil.which("java")
    assert java, "vnu needs Java: `make test` installs it (apt-get install default-jre-headless)"
    with tempfile.TemporaryDirectory(prefix="vnu-") as folder:
        files = {}
        for number, (name, html) in enumerate(documents.items()):
            path = Path(folder) / f"{number:03}.html"
            path.write_text(html, encoding="utf-8")
            files[path.resolve()] = name
        done = subprocess.run(
            [java, *JVM_OPTIONS, "-jar", str(_jar()), "--errors-only", "--no-langdetect", "--exit-zero-always",
             "--format", "json", *map(str, files)],
            capture_output=True, text=True, timeout=120, check=True)
    assert done.stderr.startswith("{"), f"vnu did not run: {done.stderr[:2000]}"
    errors = []
    for message in json.loads(done.stderr)["messages"]:
        name = files.get(Path(unquote(urlparse(message.get("url", "")).path)).resolve(), message.get("url"))
        line = message.get("lastLine", "?")
        extract = " ".join(message.get("extract", "").split())[:160]
        errors.append(f"{name}, line {line}: {message['message']}" + (f"  [{extract}]" if extract else ""))
    return errors

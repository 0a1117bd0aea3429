"""What vnu would fault on a page the tests do not reach, found in the sources (issue 22):
an htmx attribute without its data- prefix, or a template writing a machine date itself.
vnu (tests/http/test_valid_html.py, the axe walk) checks what is rendered."""
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HX_ATTRIBUTE = re.compile(r"(?<![\w-])hx-[a-z]")  # htmx's headers are HX-Request etc., upper case


def _sources():
    for folder, pattern in (("templates", "**/*.html"), ("static/js", "*.js"), ("static/css", "*.css"), ("checkout", "**/*.py")):
        yield from (ROOT / folder).glob(pattern)


def test_htmx_attributes_carry_the_data_prefix():
    found = [f"{path.relative_to(ROOT)}:{number}: {line.strip()[:120]}"
             for path in _sources() for number, line in enumerate(path.read_text().splitlines(), 1)
             if HX_ATTRIBUTE.search(line)]
    assert not found, "write data-hx-* (run tools/vnu_rename.sh):\n" + "\n".join(found)


def test_templates_format_machine_dates_with_the_filter():
    found = [f"{path.relative_to(ROOT)}:{number}" for path in (ROOT / "templates").glob("**/*.html")
             for number, line in enumerate(path.read_text().splitlines(), 1) if ".isoformat()" in line]
    assert not found, "use |machine_time (checkout/formatting.py), at most milliseconds:\n" + "\n".join(found)

#!/usr/bin/env bash
# htmx attributes as valid HTML (issue 22): every `hx-*` attribute becomes `data-hx-*`, which
# htmx 2 reads the same way (including hx-on: -> data-hx-on:). Idempotent: `data-hx-` is left
# alone. Case-sensitive: htmx's headers (HX-Request, HX-Trigger, ...) are never touched.
# ADRs are records of their day and are left as written.
# Usage: vnu_rename.sh [repository root]   (default: the current directory); lists the files it changed.
set -euo pipefail
cd "${1:-.}"
WHERE=(templates checkout static tests docs tools demo ':!static/vendor' ':!docs/adr' ':!docs/screenshots' ':!tools/vnu_rename.sh')
HX='(?<![\w-])hx-(?=[a-z])'
files() { git ls-files -z -- "${WHERE[@]}" | xargs -0 grep -lIZP "$HX" || true; }
files | xargs -0 -r perl -pi -e "s/$HX/data-hx-/g" --
files | xargs -0 -r printf '%s\n' > /tmp/vnu_rename_left.$$
if [ -s /tmp/vnu_rename_left.$$ ]; then echo "hx- left in:" >&2; cat /tmp/vnu_rename_left.$$ >&2; rm -f /tmp/vnu_rename_left.$$; exit 1; fi
rm -f /tmp/vnu_rename_left.$$
git status --short -- "${WHERE[@]}"

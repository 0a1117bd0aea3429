"""The demo: `make demo` (`python -m demo`, demo/__main__.py) and the past bookings that
`flask seed --history` adds (demo/history.py). Tooling, not the app: nothing in checkout/
imports it except the `seed --history` command, inside the command (ADR 0173)."""

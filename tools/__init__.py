"""Operators' tools that run against the app but are not part of it, such as
`flask check-payment-page` (tools/payment_page_check.py). Nothing in checkout/ imports
them except the command that runs one (checkout/cli.py), inside the command (ADR 0173)."""

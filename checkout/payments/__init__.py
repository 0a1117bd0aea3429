"""Payments: the Stripe gateway, payment attempts, one reconcile, webhooks, the sweeper."""

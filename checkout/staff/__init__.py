"""The support staff console: sign-in, bookings, refunds, the monitoring dashboard."""

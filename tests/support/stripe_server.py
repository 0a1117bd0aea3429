from offline.control import clear, register_webhook, start_localstripe, stop  # noqa: F401  (temporary shim)

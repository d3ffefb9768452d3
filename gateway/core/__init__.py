"""
The hotline's provider-neutral core: the project's own types for what crosses the seam between
the hotline and an SMS or USSD provider. Nothing here knows a provider's wire format, field names
or status words; each provider's adapter (gateway/providers/<name>/) translates to and from these.
"""

"""
Africa's Talking: the only package that knows its wire formats and field names (USSD callbacks
here; SMS alongside). Each module parses AT's requests into gateway.core types and renders the
core's answers the way AT expects them.
"""

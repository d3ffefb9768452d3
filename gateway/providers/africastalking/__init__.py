"""
Africa's Talking: the only package that knows its wire formats and field names. ussd.py and
ussd_events.py parse its USSD callbacks, sms.py its urlencoded SMS callbacks (inbound SMS, delivery
reports), into gateway.core types and render the core's answers the way AT expects them; sender.py
sends through its SDK, fake.py stands in for it in tests and the demo, provider.py registers it.
"""

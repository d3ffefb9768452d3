"""
Africa's Talking: the only package that knows its wire format. sms.py parses its urlencoded SMS
callbacks (inbound SMS, delivery reports) into core types, sender.py sends through its SDK,
fake.py stands in for its messaging API in tests and the demo, provider.py registers it.
"""

"""
Infobip SMS (Indonesian numbers): webhooks.py parses Infobip's inbound-SMS and delivery-report
webhooks into core types, sender.py sends outbox rows in batches through `POST /sms/3/messages`,
fake.py stands in for Infobip in tests, benchmarks and the demo.
"""

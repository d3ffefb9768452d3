"""
What the hotline does, one function per thing, the same for every channel (USSD, SMS, any later
one): channels parse their input into these calls and render what comes back.
"""

"""Anonymous reach statistics and outreach entry points (issue 11).

Counters are written when things happen, never derived later from personal data: no user id, no text, no hash
of either, no time finer than the day. They count conversations, not people. See `tables.py` for the schema.
"""

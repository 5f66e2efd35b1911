"""The phone simulator: a TwiML client that calls our server as Twilio would.

Library: :mod:`yachay.phone.simulator`; command: :mod:`yachay.phone.cli` (``yachay call``).
"""

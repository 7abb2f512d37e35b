"""Bots Warmline did not build: their sources, the ingestion of their turns, the decision on
each turn, and the signed events that tell them when a person takes over and hands back.

``sources`` (who a bot is, its token and webhook secret), ``ingest`` (the actions behind
``POST /v1/conversations`` and ``/turns`` for a bot), ``assess`` (Warmline's analysis and policy
on an outside bot's turns), ``webhooks`` (Standard Webhooks events through the outbox), and one
folder per bot platform (``rasa``, ``chatwoot``).
"""

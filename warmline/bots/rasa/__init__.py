"""Rasa: Warmline's handoff for a Rasa assistant, by configuration.

Rasa publishes every tracker event to its event broker (``event_broker: type: pika`` in
``endpoints.yml``: a fanout exchange, ``rasa-exchange`` by default, bound to the listed durable
queues). Warmline consumes a queue of its own on that exchange (``consumer``), turns ``user`` and
``bot`` events into ingestion turns of the configured bot source (``events``), and answers
through Rasa's HTTP API (``client``, a delivery kind of the outbox): it pauses the conversation
when the policy escalates, relays each agent message to the customer, and resumes on handback,
triggering the intent the agent's note names.
"""

"""``warmline simulate``: simulated customers and agents driving the running service over its
public API, so that the whole loop (and the metrics) can be seen working."""

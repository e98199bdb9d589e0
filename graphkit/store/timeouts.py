"""The store's default time-out, apart from the server code (and its Redis client), so
that the command line can show it without importing either."""

#: Seconds to wait for the store to start, answer or load a batch.
DEFAULT_TIMEOUT = 60.0

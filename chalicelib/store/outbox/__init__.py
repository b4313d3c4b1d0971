"""The outbox, its table and writes: queue messages owed by committed changes."""

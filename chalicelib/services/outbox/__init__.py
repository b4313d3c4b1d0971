"""The outbox: queue messages written with the change that causes them, then delivered."""

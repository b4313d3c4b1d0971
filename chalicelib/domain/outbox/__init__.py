"""The outbox, pure rules: which queues a committed change may send to, and its messages."""

"""Notifications, use cases. Subscribe messages to drivers and price-drop alerts."""

"""Notifications, pure rules. Subscribe messages to drivers and price-drop alerts."""

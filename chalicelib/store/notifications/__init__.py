"""Notifications, tables and their writes. Subscribe messages to drivers and price-drop alerts."""

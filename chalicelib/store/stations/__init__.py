"""Stations, tables and their writes. Nearby search, one station in full, prices, stock, promotions, queue estimates."""

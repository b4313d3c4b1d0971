"""Stations, use cases. Nearby search, one station in full, prices, stock, promotions, queue estimates."""

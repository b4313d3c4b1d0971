"""E-invoices, use cases. Requested by drivers, issued and mailed off the request path, reversed."""

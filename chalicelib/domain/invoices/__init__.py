"""E-invoices, pure rules. Requested by drivers, issued and mailed off the request path, reversed."""

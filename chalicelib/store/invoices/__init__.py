"""E-invoices, tables and their writes. Requested by drivers, issued and mailed off the request path, reversed."""

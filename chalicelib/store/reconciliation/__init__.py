"""Daily reconciliation, tables and their writes. WeChat Pay's trade bill against our records, healing, settlement."""

"""Daily reconciliation, use cases. WeChat Pay's trade bill against our records, healing, settlement."""

"""Daily reconciliation, pure rules. WeChat Pay's trade bill against our records, healing, settlement."""

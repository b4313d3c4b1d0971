"""Wallet, pure rules. The prepaid balance and points of a driver, top-ups, member levels, the ledger."""

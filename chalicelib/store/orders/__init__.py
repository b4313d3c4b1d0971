"""Orders, tables and their writes. Create, pay through WeChat Pay, confirm the fuelling, refund, expire, ship."""

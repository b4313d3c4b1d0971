"""Orders, use cases. Create, pay through WeChat Pay, confirm the fuelling, refund, expire, ship."""

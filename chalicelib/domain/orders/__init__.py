"""Orders, pure rules. Create, pay through WeChat Pay, confirm the fuelling, refund, expire, ship."""

"""Identity, use cases. Driver login through WeChat, staff login with a password, bearer tokens."""

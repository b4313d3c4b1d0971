"""Identity, tables and their writes. Driver login through WeChat, staff login with a password, bearer tokens."""

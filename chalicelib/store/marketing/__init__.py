"""Marketing, tables and their writes. Coupon templates and claims, campaigns, home popups and banners."""

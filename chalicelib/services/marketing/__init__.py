"""Marketing, use cases. Coupon templates and claims, campaigns, home popups and banners."""

"""Marketing, pure rules. Coupon templates and claims, campaigns, home popups and banners."""

"""The worker's own record: earnings and effective hourly (GET /me, GET /api/v1/me/earnings)."""

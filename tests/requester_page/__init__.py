"""The requester pages: GET /r/{platform}/{requester_id}."""

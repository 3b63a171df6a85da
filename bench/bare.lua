-- wrk script: the same request shape against the bare endpoint.
wrk.method = "POST"
wrk.body = '{"market_id":"m","side":"buy","max_spend":"1"}'
wrk.headers["Content-Type"] = "application/json"

"""Sealed repo-trade contract: two broker-dealers report their clients' schedules and their
hurdles; the contract picks the joint-profit-maximising feasible trade (or no trade).

Rates are whole numbers of ``RATE_UNIT`` (1e-4 basis point); volumes are whole numbers on a
common public grid starting at 0."""

"""Pegged-token market maker: a Bancor relay between collateral (COL) and a pegged token (PEG)
with one global short position whose shares (MMS) anyone can buy or sell.

Units, fixed once: the feed and SPOT are COL per PEG (SPOT = C / U)."""

"""Opportunity markets: private, sponsor-funded prediction markets with blind trading."""

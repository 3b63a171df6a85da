"""Market-maker deal desk: loan + call-option market-making deals, their greeks, a vectorised
Monte Carlo of the delta-neutral strategy, and reports for the market maker and the project."""

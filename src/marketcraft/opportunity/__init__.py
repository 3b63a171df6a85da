"""Opportunity markets: private, sponsor-funded prediction markets with blind trading.

The names below are imported from their modules on first use: the engine is slow to import,
and the command line starts without it."""

from typing import TYPE_CHECKING

from marketcraft.exports import lazy_exports

if TYPE_CHECKING:
    from marketcraft.opportunity.amms import AmmKind
    from marketcraft.opportunity.commands import (
        ApproveMarket,
        CancelCloseOrder,
        CloseProgram,
        CloseWindow,
        Context,
        DepositCash,
        ListMarket,
        OpenProgram,
        PlaceCloseOrder,
        PlaceOrder,
        RegisterAgent,
        RejectMarket,
        ResolveMarket,
        RevealMarket,
        SettleProgram,
        WithdrawCash,
        WithdrawCollateral,
    )
    from marketcraft.opportunity.engine import decide
    from marketcraft.opportunity.invariants import check_all
    from marketcraft.opportunity.planning import plan, quote
    from marketcraft.opportunity.receipts import Receipt, verify_receipt
    from marketcraft.opportunity.state import MarketState, ProgramState, evolve
    from marketcraft.opportunity.terms import ProgramTerms, Side, Token
    from marketcraft.opportunity.transcript import export_transcript, verify_transcript

__all__ = [
    "AmmKind",
    "ApproveMarket",
    "CancelCloseOrder",
    "CloseProgram",
    "CloseWindow",
    "Context",
    "DepositCash",
    "ListMarket",
    "MarketState",
    "OpenProgram",
    "PlaceCloseOrder",
    "PlaceOrder",
    "ProgramState",
    "ProgramTerms",
    "Receipt",
    "RegisterAgent",
    "RejectMarket",
    "ResolveMarket",
    "RevealMarket",
    "SettleProgram",
    "Side",
    "Token",
    "WithdrawCash",
    "WithdrawCollateral",
    "check_all",
    "decide",
    "evolve",
    "export_transcript",
    "plan",
    "quote",
    "verify_receipt",
    "verify_transcript",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "AmmKind": ".amms",
        "ApproveMarket": ".commands",
        "CancelCloseOrder": ".commands",
        "CloseProgram": ".commands",
        "CloseWindow": ".commands",
        "Context": ".commands",
        "DepositCash": ".commands",
        "ListMarket": ".commands",
        "OpenProgram": ".commands",
        "PlaceCloseOrder": ".commands",
        "PlaceOrder": ".commands",
        "RegisterAgent": ".commands",
        "RejectMarket": ".commands",
        "ResolveMarket": ".commands",
        "RevealMarket": ".commands",
        "SettleProgram": ".commands",
        "WithdrawCash": ".commands",
        "WithdrawCollateral": ".commands",
        "decide": ".engine",
        "check_all": ".invariants",
        "plan": ".planning",
        "quote": ".planning",
        "Receipt": ".receipts",
        "verify_receipt": ".receipts",
        "MarketState": ".state",
        "ProgramState": ".state",
        "evolve": ".state",
        "ProgramTerms": ".terms",
        "Side": ".terms",
        "Token": ".terms",
        "export_transcript": ".transcript",
        "verify_transcript": ".transcript",
    },
)

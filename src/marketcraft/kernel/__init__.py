"""The deterministic kernel every mechanism stands on: exact money, a double-entry ledger,
canonical messages, clocks, an append-only verifiable log and signatures.

Nothing here does I/O, reads the wall clock (except :class:`SystemClock`, for adapters), draws
random numbers or makes UUIDs.
"""

from marketcraft.kernel.checkpoints import (
    Checkpoint,
    SignedCheckpoint,
    open_checkpoint,
    sign_checkpoint,
    verify_checkpoint,
    verify_checkpoints_consistent,
)
from marketcraft.kernel.clock import Clock, FixedClock, SimulatedClock, SystemClock, require_utc
from marketcraft.kernel.errors import (
    ConcurrencyConflict,
    InvariantViolation,
    MarketcraftError,
    NotFound,
    ValidationError,
)
from marketcraft.kernel.ledger import Ledger, Posting, Transaction, check_balanced
from marketcraft.kernel.log import AppendOnlyLog, verify_chain
from marketcraft.kernel.merkle import (
    EMPTY_ROOT,
    MerkleTree,
    leaf_hash,
    node_hash,
    verify_consistency,
    verify_inclusion,
)
from marketcraft.kernel.messages import Command, Event, Message, decode, encode, message_type
from marketcraft.kernel.money import (
    MONEY_CONTEXT,
    Asset,
    Money,
    money_context,
    quantize_down,
    quantize_exact,
    quantize_up,
    to_decimal,
    with_money_context,
)
from marketcraft.kernel.signing import Signer, verify_signature

__all__ = [
    "EMPTY_ROOT",
    "MONEY_CONTEXT",
    "AppendOnlyLog",
    "Asset",
    "Checkpoint",
    "Clock",
    "Command",
    "ConcurrencyConflict",
    "Event",
    "FixedClock",
    "InvariantViolation",
    "Ledger",
    "MarketcraftError",
    "MerkleTree",
    "Message",
    "Money",
    "NotFound",
    "Posting",
    "SignedCheckpoint",
    "Signer",
    "SimulatedClock",
    "SystemClock",
    "Transaction",
    "ValidationError",
    "check_balanced",
    "decode",
    "encode",
    "leaf_hash",
    "message_type",
    "money_context",
    "node_hash",
    "open_checkpoint",
    "quantize_down",
    "quantize_exact",
    "quantize_up",
    "require_utc",
    "sign_checkpoint",
    "to_decimal",
    "verify_chain",
    "verify_checkpoint",
    "verify_checkpoints_consistent",
    "verify_consistency",
    "verify_inclusion",
    "verify_signature",
    "with_money_context",
]

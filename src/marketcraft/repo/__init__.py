"""Sealed repo-trade contract: two broker-dealers report their clients' schedules and their
hurdles; the contract picks the joint-profit-maximising feasible trade (or no trade).

Rates are whole numbers of ``RATE_UNIT`` (1e-4 basis point); volumes are whole numbers on a
common public grid starting at 0. The proof system is in :mod:`marketcraft.repo.zk`."""

from marketcraft.repo.commitment import commit
from marketcraft.repo.proving import Proof, Prover, Verifier
from marketcraft.repo.reports import read_report, report_from_plain
from marketcraft.repo.schedule import RATE_UNIT, Report, Side
from marketcraft.repo.sealing import ContractKey, Opening, open_box, seal
from marketcraft.repo.selection import Outcome, select
from marketcraft.repo.settlement import Settlement, audit, settle

__all__ = [
    "RATE_UNIT",
    "ContractKey",
    "Opening",
    "Outcome",
    "Proof",
    "Prover",
    "Report",
    "Settlement",
    "Side",
    "Verifier",
    "audit",
    "commit",
    "open_box",
    "read_report",
    "report_from_plain",
    "seal",
    "select",
    "settle",
]

"""The application layer: where the cores meet the store. Entry points (the service's API and
pages, the CLI) call the functions here; the functions here call the cores, the repositories
(snapshots, projections) and the group commit, and nothing here knows HTTP."""

from marketcraft.app import opportunity_actions
from marketcraft.app.opportunity_actions import GroupCommit
from marketcraft.app.programs import ProgramRepository

__all__ = ["GroupCommit", "ProgramRepository", "opportunity_actions"]

"""The application layer: where the cores meet the store. Entry points (the service's API and
pages, the CLI) call the functions here; the functions here call the cores, the repositories
(snapshots, projections) and the group commit, and nothing here knows HTTP."""

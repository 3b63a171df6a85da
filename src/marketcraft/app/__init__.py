"""The application layer: where the pure cores meet the store (repositories, group commit,
snapshots, projections)."""

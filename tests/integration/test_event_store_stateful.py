"""Hypothesis drives the in-memory, SQLite and PostgreSQL stores with the same random operations
and checks after every step that all three agree (results, errors and contents)."""

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test
from sqlalchemy import text

from marketcraft.kernel import ConcurrencyConflict, ValidationError
from marketcraft.store import Database, NewEvent

STREAMS = st.sampled_from(["a", "b", "market-7", "x" * 200])
BATCH = st.lists(
    st.builds(NewEvent, st.sampled_from(["placed", "filled", "x"]), st.binary(max_size=12)),
    min_size=0,
    max_size=4,
)


def outcome(fn):
    try:
        return ("ok", fn())
    except ConcurrencyConflict:
        return ("conflict", None)
    except ValidationError as exc:
        return ("invalid", exc.code)


@pytest.mark.postgres
def test_backends_agree_under_random_operations(tmp_path, postgres_url):
    sqlite_db = Database.open(f"sqlite:///{tmp_path / 'stateful.db'}", migrate=True)
    pg_db = Database.open(postgres_url, migrate=True)

    class StoresAgree(RuleBasedStateMachine):
        def __init__(self):
            super().__init__()
            for db in (sqlite_db, pg_db):
                assert db.engine is not None
                with db.engine.begin() as conn:
                    conn.execute(text("DELETE FROM events"))
            self.stores = [Database.open("memory://").events, sqlite_db.events, pg_db.events]

        def all_do(self, op):
            results = [outcome(lambda s=s: op(s)) for s in self.stores]
            assert results[1] == results[0], (results[0], results[1])
            assert results[2] == results[0], (results[0], results[2])
            return results[0]

        @rule(stream=STREAMS, batch=BATCH, drift=st.sampled_from([0, 0, 0, -1, 1, 5]))
        def append(self, stream, batch, drift):
            version = self.stores[0].stream_version(stream)
            self.all_do(lambda s: s.append(stream, max(version + drift, 0), batch))

        @rule(stream=STREAMS, version=st.integers(0, 6))
        def append_blind(self, stream, version):
            self.all_do(lambda s: s.append(stream, version, [NewEvent("blind", b"!")]))

        @rule(stream=STREAMS, from_version=st.integers(0, 8))
        def read_stream(self, stream, from_version):
            self.all_do(lambda s: s.read_stream(stream, from_version))

        @rule(after=st.integers(0, 30), limit=st.none() | st.integers(0, 10))
        def read_all(self, after, limit):
            self.all_do(lambda s: s.read_all(after, limit))

        @invariant()
        def contents_agree(self):
            self.all_do(lambda s: (s.read_all(), s.last_position()))
            for stream in ["a", "b", "market-7"]:
                self.all_do(lambda s, stream=stream: s.stream_version(stream))

    try:
        run_state_machine_as_test(
            StoresAgree,
            settings=settings(max_examples=25, stateful_step_count=30, deadline=None),
        )
    finally:
        sqlite_db.close()
        pg_db.close()

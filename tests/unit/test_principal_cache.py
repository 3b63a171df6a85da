"""The service's short-lived token cache: remembered within its time, forgotten on revocation
through the service, never remembering unknown tokens."""

from datetime import UTC, datetime

from marketcraft.service.auth import PrincipalCache
from marketcraft.store.principals import InMemoryPrincipalStore

NOW = datetime(2026, 1, 1, tzinfo=UTC)


class Counting(InMemoryPrincipalStore):
    def __init__(self) -> None:
        super().__init__()
        self.lookups = 0

    def by_token_hash(self, token_hash):
        self.lookups += 1
        return super().by_token_hash(token_hash)


def setup(seconds=2.0):
    store = Counting()
    store.create("ann", "scout", "h-ann", NOW)
    t = [100.0]
    return store, PrincipalCache(store, seconds, clock=lambda: t[0]), t


def test_a_known_token_is_remembered_for_its_time_then_asked_again():
    store, cache, t = setup()
    assert cache.by_token_hash("h-ann").name == "ann"
    assert cache.by_token_hash("h-ann").name == "ann"
    assert store.lookups == 1
    store.revoke("ann")  # as another process would: this cache does not hear of it
    t[0] += 1.9
    assert cache.by_token_hash("h-ann") is not None
    t[0] += 0.2
    assert cache.by_token_hash("h-ann") is None
    assert store.lookups == 2


def test_forget_makes_a_revocation_take_effect_at_once():
    store, cache, _ = setup()
    assert cache.by_token_hash("h-ann") is not None
    store.revoke("ann")
    cache.forget()
    assert cache.by_token_hash("h-ann") is None


def test_unknown_tokens_are_never_remembered():
    store, cache, _ = setup()
    for _ in range(3):
        assert cache.by_token_hash("h-nobody") is None
    assert store.lookups == 3
    assert not cache._known


def test_zero_seconds_asks_the_store_every_time():
    store, cache, _ = setup(seconds=0)
    cache.by_token_hash("h-ann")
    cache.by_token_hash("h-ann")
    assert store.lookups == 2


def test_a_lookup_racing_a_revocation_is_not_remembered():
    store, cache, _ = setup()
    real = store.by_token_hash

    def racing(token_hash):
        found = real(token_hash)  # the principal was still active when read ...
        store.revoke("ann")  # ... and is revoked through the service before it is cached
        cache.forget()
        return found

    store.by_token_hash = racing
    assert cache.by_token_hash("h-ann") is not None
    store.by_token_hash = real
    assert cache.by_token_hash("h-ann") is None

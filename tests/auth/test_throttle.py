"""The failed-login throttle as a table of moves: keys, limits, windows, unlocks."""

from service.auth.throttle import LoginThrottle


def throttle() -> LoginThrottle:
    return LoginThrottle(per_account=3, per_address=5, window_seconds=100)


def fail(t: LoginThrottle, account: str, address: str, times: int, now: float = 0) -> None:
    for _ in range(times):
        t.record_failure(account=account, address=address, now=now)


def test_the_pair_is_limited() -> None:
    t = throttle()
    fail(t, "a@x.kz", "10.0.0.1", 2)
    assert t.retry_after(account="a@x.kz", address="10.0.0.1", now=1) is None
    fail(t, "a@x.kz", "10.0.0.1", 1)
    assert t.retry_after(account="a@x.kz", address="10.0.0.1", now=1) == 99


def test_failures_elsewhere_do_not_lock_the_owner() -> None:
    t = throttle()
    fail(t, "a@x.kz", "10.0.0.1", 3)
    assert t.retry_after(account="a@x.kz", address="10.0.0.2", now=1) is None


def test_the_address_is_limited_across_accounts() -> None:
    t = throttle()
    for i in range(5):
        fail(t, f"user{i}@x.kz", "10.0.0.1", 1)
    assert t.retry_after(account="new@x.kz", address="10.0.0.1", now=1) == 99
    assert t.retry_after(account="new@x.kz", address="10.0.0.2", now=1) is None


def test_the_window_slides() -> None:
    t = throttle()
    fail(t, "a@x.kz", "10.0.0.1", 3, now=0)
    assert t.retry_after(account="a@x.kz", address="10.0.0.1", now=99.5) == 1
    assert t.retry_after(account="a@x.kz", address="10.0.0.1", now=100) is None


def test_success_clears_only_its_pair() -> None:
    t = throttle()
    fail(t, "a@x.kz", "10.0.0.1", 3)
    fail(t, "a@x.kz", "10.0.0.2", 3)
    t.record_success(account="a@x.kz", address="10.0.0.1")
    assert t.retry_after(account="a@x.kz", address="10.0.0.1", now=1) is None
    assert t.retry_after(account="a@x.kz", address="10.0.0.2", now=1) == 99


def test_clear_forgets_the_account_from_every_address() -> None:
    t = throttle()
    fail(t, "a@x.kz", "10.0.0.1", 3)
    fail(t, "a@x.kz", "10.0.0.2", 3)
    t.clear(account="a@x.kz")
    assert t.retry_after(account="a@x.kz", address="10.0.0.1", now=1) is None
    assert t.retry_after(account="a@x.kz", address="10.0.0.2", now=1) is None


def test_failures_before_an_unlock_no_longer_count() -> None:
    t = throttle()
    fail(t, "a@x.kz", "10.0.0.1", 3, now=10)
    assert t.retry_after(account="a@x.kz", address="10.0.0.1", now=20, reset_at=5) == 90
    assert t.retry_after(account="a@x.kz", address="10.0.0.1", now=20, reset_at=15) is None
    fail(t, "a@x.kz", "10.0.0.1", 3, now=21)  # new failures after the unlock count again
    assert t.retry_after(account="a@x.kz", address="10.0.0.1", now=22, reset_at=15) == 99


def test_stale_keys_are_swept() -> None:
    t = throttle()
    for i in range(999):
        t.record_failure(account=f"spray{i}@x.kz", address=f"10.0.{i // 250}.{i % 250}", now=0)
    t.record_failure(account="last@x.kz", address="10.9.9.9", now=500)  # the 1000th
    assert t.retry_after(account="spray1@x.kz", address="10.0.0.1", now=500) is None
    assert len(t._pairs) == 1
    assert len(t._addresses) == 1

"""Named locks held through the records database: across processes, named holders, dead holders.

Each test runs on SQLite (a file lock beside the records file) and on a real PostgreSQL
server (an advisory lock). The other holder is a separate process, as another app
server would be; it says when it holds the lock through a multiprocessing event, so
no test waits on a sleep to decide anything.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import signal
import socket
import threading
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, select

from harmwatch.storage.dblock import INGEST_LOCK, DatabaseLock, Holder, LockBusy, lock_key
from harmwatch.storage.models import DatabaseLockHolder
from harmwatch.storage.records import make_engine, session_scope, upgrade

SPAWN = multiprocessing.get_context("spawn")


def _hold_in_another_process(url: str, held: Any, release: Any) -> None:
    engine = make_engine(url)
    lock = DatabaseLock(engine, INGEST_LOCK)
    with lock.hold(holder="web:alice", what="a police.uk upload"):
        held.set()
        release.wait(60)


@pytest.fixture
def other_holder(records_engine: Engine) -> Any:
    """Start a process holding the ingest lock; returns (process, release event)."""
    url = records_engine.url.render_as_string(hide_password=False)
    held, release = SPAWN.Event(), SPAWN.Event()
    process = SPAWN.Process(target=_hold_in_another_process, args=(url, held, release))
    process.start()
    assert held.wait(60), "the other process never took the lock"
    yield process, release
    if process.is_alive():  # a killed waiter leaves the event's condition unusable
        release.set()
    process.join(30)
    if process.is_alive():
        process.kill()


def test_the_key_is_stable_across_processes_and_releases() -> None:
    # SHA-256("analytics-ingest") starts 39adb74cea9906bb: every process and release must
    # compute this very key, or two servers would not exclude each other.
    assert lock_key(INGEST_LOCK) == 0x39ADB74CEA9906BB == 4156179572114130619
    assert -(2**63) <= lock_key(INGEST_LOCK) < 2**63
    assert lock_key("a") != lock_key("b")


def test_a_lock_held_by_another_process_times_out_naming_its_holder(
    records_engine: Engine, other_holder: Any
) -> None:
    process, _ = other_holder
    lock = DatabaseLock(records_engine, INGEST_LOCK)
    told: list[Holder | None] = []
    with (
        pytest.raises(LockBusy) as refused,
        lock.hold(holder="web:bob", what="a call-data import", wait_s=0.3, on_wait=told.append),
    ):
        pytest.fail("the lock was taken while another process held it")
    holder = refused.value.holder
    assert holder is not None and told == [holder]
    assert (holder.holder, holder.what, holder.pid) == (
        "web:alice",
        "a police.uk upload",
        process.pid,
    )
    assert holder.host == socket.gethostname() and holder.hold == 1
    message = str(refused.value)
    assert "a police.uk upload by web:alice on" in message and f"process {process.pid}" in message
    assert refused.value.http_status == 503
    assert lock.holder() == holder


def test_a_waiter_gets_the_lock_once_the_holder_lets_go(
    records_engine: Engine, other_holder: Any
) -> None:
    _, release = other_holder
    lock = DatabaseLock(records_engine, INGEST_LOCK)

    def let_go(holder: Holder | None) -> None:
        assert holder is not None and holder.holder == "web:alice"
        release.set()  # only once this side is known to be waiting

    with lock.hold(holder="web:bob", what="a police.uk upload", wait_s=60, on_wait=let_go) as held:
        assert held.hold == 2
        assert held.queued_behind is not None and held.queued_behind.hold == 1
        current = lock.holder()
        assert current is not None and (current.holder, current.pid) == ("web:bob", os.getpid())
    assert held.released_at is not None and held.released_at >= held.acquired_at
    assert lock.holder() is None
    with session_scope(records_engine) as db:
        row = db.scalars(select(DatabaseLockHolder)).one()
        assert (row.holds, row.holder, row.released_at) == (2, "web:bob", held.released_at)


def test_a_holder_that_dies_releases_the_lock(records_engine: Engine, other_holder: Any) -> None:
    process, _ = other_holder
    os.kill(process.pid, signal.SIGKILL)
    process.join(30)
    lock = DatabaseLock(records_engine, INGEST_LOCK)
    # Its row still says it holds the lock; nobody does, so nobody is named.
    assert lock.holder() is None
    with lock.hold(holder="cli:root", what="harmwatch ingest", wait_s=30) as held:
        assert held.hold == 2 and held.queued_behind is None


def test_holds_from_many_threads_never_overlap(records_engine: Engine) -> None:
    lock = DatabaseLock(records_engine, INGEST_LOCK)
    start = threading.Barrier(4)
    holds: list[Any] = []
    inside = threading.Lock()
    errors: list[BaseException] = []

    def take(i: int) -> None:
        try:
            start.wait(30)
            for _ in range(3):
                with lock.hold(holder=f"web:user{i}", what="a police.uk upload", wait_s=60) as h:
                    # Nobody else may be inside: a second holder would find this taken.
                    assert inside.acquire(blocking=False)
                    inside.release()
                holds.append(h)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=take, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not errors, errors
    ordered = sorted(holds, key=lambda h: h.hold)
    assert [h.hold for h in ordered] == list(range(1, 13))
    for before, after in itertools.pairwise(ordered):
        assert before.released_at is not None and before.released_at <= after.acquired_at


def test_an_in_memory_records_database_locks_within_the_process() -> None:
    engine = create_engine("sqlite://")
    upgrade(engine)
    lock = DatabaseLock(engine, INGEST_LOCK)
    with lock.hold(holder="web:alice", what="a police.uk upload"):
        with pytest.raises(LockBusy) as refused, lock.hold(holder="web:bob", what="x", wait_s=0):
            pass
        assert refused.value.holder is not None and refused.value.holder.holder == "web:alice"
    with lock.hold(holder="web:bob", what="x", wait_s=0) as held:
        assert held.hold == 2


def test_lock_names_are_checked() -> None:
    engine = create_engine("sqlite://")
    with pytest.raises(ValueError):
        DatabaseLock(engine, "Not A Name")

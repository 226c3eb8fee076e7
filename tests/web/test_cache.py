"""The result cache, and answering from it on the event loop when nothing needs computing."""

from __future__ import annotations

import asyncio
import threading

from harmwatch.web.cache import ResultCache, cached_first


def test_a_cached_answer_stays_on_the_loop_and_a_new_one_goes_to_a_thread() -> None:
    cache = ResultCache(8)
    computed_in: list[str] = []
    answered_in: list[str] = []

    def compute() -> int:
        computed_in.append(threading.current_thread().name)
        return 42

    def answer() -> int:
        answered_in.append(threading.current_thread().name)
        return cache.get_or_compute("layer", compute)

    async def twice() -> tuple[int, int]:
        return await cached_first(answer), await cached_first(answer)

    loop_thread = threading.current_thread().name
    assert asyncio.run(twice()) == (42, 42)
    # First: tried on the loop, missed, run again in a worker thread that computed it.
    assert answered_in[0] == loop_thread and answered_in[1] != loop_thread
    assert computed_in == [answered_in[1]]
    # Second: answered from the cache on the loop, without a thread.
    assert answered_in[2:] == [loop_thread]
    assert (cache.hits, cache.misses) == (1, 1)


def test_with_the_cache_off_every_answer_is_computed_in_a_thread() -> None:
    cache = ResultCache(0)
    threads: list[str] = []

    def answer() -> int:
        return cache.get_or_compute(
            "x", lambda: threads.append(threading.current_thread().name) or 1
        )

    asyncio.run(cached_first(answer))
    assert threads and threads[0] != threading.current_thread().name

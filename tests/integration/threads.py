"""Run calls in real threads, released together, each on its own connection."""

import threading

from django.db import connection


def run_together(calls, *, timeout: float = 120) -> list:
    """Run each call in its own thread, all released at once by a barrier.

    Returns each call's result, or the exception it raised, in order. Each
    thread closes its database connection when done. Fails if a thread is
    still running after ``timeout`` seconds (a deadlock or a lost wake-up).
    """
    calls = list(calls)
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def run(index, call):
        try:
            barrier.wait(timeout=30)
            outcomes[index] = call()
        except Exception as exc:
            outcomes[index] = exc
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(index, call))
        for index, call in enumerate(calls)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return outcomes

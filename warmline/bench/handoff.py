"""``warmline bench handoff``: how fast an escalation reaches a team queue, and how claims behave
under contention, on the embedded default (a fresh SQLite file, the embedded model, in process).

- ``p50_ms``/``p99_ms``: from posting the customer message that escalates to the conversation
  being visible in its team's queue with its payload stored;
- ``claims_per_s``: agents claiming from a full queue in parallel threads;
- ``contended_claim_winners``: in each round several agents claim one conversation at the same
  instant; the reported value is the winners of the worst round (correct: always 1).
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from warmline.auth import Principal
from warmline.bench.stats import percentile
from warmline.conversation import actions
from warmline.errors import WarmlineError
from warmline.evaluation.harness import Harness
from warmline.queue.actions import do_claim, do_claim_next
from warmline.staffing import do_create_staff

OPENING = "Hi, I was charged twice for my last order and I need that fixed"
ASK = "I want to talk to a human agent please"


def _escalate_once(harness: Harness) -> tuple[float, str, str]:
    svc = harness.services
    started = actions.do_start_conversation(svc, channel="bench")
    actions.do_post_customer_message(svc, started.conversation_id, OPENING)
    begin = time.perf_counter()
    outcome = actions.do_post_customer_message(svc, started.conversation_id, ASK)
    team = outcome.state.team or "triage"
    queued = {s.id for s in svc.store.queue(team, limit=1000)}
    payload = svc.store.latest_event(started.conversation_id, "payload_built")
    elapsed = (time.perf_counter() - begin) * 1000
    if started.conversation_id not in queued or payload is None:
        raise RuntimeError("the escalated conversation is not in its team queue with a payload")
    return elapsed, started.conversation_id, team


def _agents(harness: Harness, teams: list[str], count: int) -> list[Principal]:
    agents = []
    for i in range(count):
        staff = do_create_staff(harness.services.store, f"Bench agent {i}", "agent", teams, capacity=10_000)
        harness.services.store.set_presence(staff["id"], "online")
        agents.append(Principal(role="agent", id=staff["id"], name=staff["name"], teams=tuple(staff["teams"])))
    return agents


def run_handoff_bench(handoffs: int = 200, agents: int = 8, rounds: int = 20, **settings: Any) -> dict[str, Any]:
    with Harness(**settings) as harness:
        _escalate_once(harness)  # warm the model and the caches outside the timing
        timings: list[float] = []
        waiting: list[tuple[str, str]] = []
        for _ in range(handoffs):
            elapsed, cid, team = _escalate_once(harness)
            timings.append(elapsed)
            waiting.append((cid, team))
        teams = sorted({team for _, team in waiting})
        staff = _agents(harness, teams, agents)

        # Throughput: every agent claims the next conversation of a team until the queues are empty.
        claimed = 0
        lock = threading.Lock()

        def drain(agent: Principal) -> None:
            nonlocal claimed
            for team in teams:
                while do_claim_next(harness.services, team, agent) is not None:
                    with lock:
                        claimed += 1

        begin = time.perf_counter()
        with ThreadPoolExecutor(agents) as pool:
            list(pool.map(drain, staff))
        claims_per_s = claimed / (time.perf_counter() - begin)

        # Contention: all agents claim one conversation at once, `rounds` times.
        winners_per_round = []
        for _ in range(rounds):
            _, cid, _ = _escalate_once(harness)
            barrier = threading.Barrier(len(staff))

            def race(agent: Principal, cid: str = cid, barrier: threading.Barrier = barrier) -> bool:
                barrier.wait()
                try:
                    do_claim(harness.services, cid, agent)
                    return True
                except WarmlineError:
                    return False

            with ThreadPoolExecutor(len(staff)) as pool:
                winners_per_round.append(sum(pool.map(race, staff)))
    worst = max(winners_per_round, key=lambda w: abs(w - 1))
    return {
        "p50_ms": round(percentile(timings, 50), 2),
        "p99_ms": round(percentile(timings, 99), 2),
        "claims_per_s": round(claims_per_s, 1),
        "contended_claim_winners": worst,
        "handoffs": handoffs,
        "claims": claimed,
        "contended_rounds": rounds,
        "agents": agents,
    }

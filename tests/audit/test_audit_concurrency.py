"""Two writers never fork the chain: concurrent appends end up as one verified sequence."""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor

from trustflux.audit import AuditTrail

WRITERS, EACH = 6, 10


def test_concurrent_appends_keep_one_chain(trail: AuditTrail) -> None:
    def write(worker: int) -> list[int]:
        return [
            trail.append(f"worker-{worker}", "agent_view", details={"i": i}).seq
            for i in range(EACH)
        ]

    with ThreadPoolExecutor(WRITERS) as pool:
        seqs = sorted(s for batch in pool.map(write, range(WRITERS)) for s in batch)
    assert seqs == list(range(1, WRITERS * EACH + 1))
    report = trail.verify()
    assert report.ok and report.count == WRITERS * EACH
    entries = trail.entries()
    assert all(b.prev_hash == a.entry_hash for a, b in itertools.pairwise(entries))

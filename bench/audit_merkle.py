"""Benchmark the audit log's tamper-evidence core on 1,000,000 synthetic entries.

Run: .venv/bin/python bench/audit_merkle.py
Prints human-readable lines, then one JSON object as the last line.

Measured in one run, so the figures can be compared across machines:
* baseline: microseconds per raw hashlib.sha256 of 200 bytes (median of batches);
* verify_log over 1,000,000 entries with a checkpoint every 1,000 (1,000 Ed25519
  signatures, every leaf rehashed and compared, a root at every checkpoint size);
* inclusion / consistency proof sizes and verification times for a 1,000,000-leaf tree.
"""

from __future__ import annotations

import hashlib
import json
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hub.audit.checkpoint import generate_signing_key, make_keyring, sign_checkpoint
from hub.audit.merkle import MerkleTree, verify_consistency, verify_inclusion
from hub.audit.verify import Entry, verify_log

ENTRIES = 1_000_000
EVERY = 1_000
VERIFY_RUNS = 3
PROOF_SAMPLES = 2_000
ORIGIN = "mappa-hub/bench-area"


def baseline_sha256_us() -> float:
    """Median microseconds for one sha256 of 200 bytes, measured in batches of 10,000."""
    data = bytes(range(200))
    sha256 = hashlib.sha256
    batches = []
    for _ in range(15):
        started = time.perf_counter()
        for _ in range(10_000):
            sha256(data).digest()
        batches.append((time.perf_counter() - started) / 10_000 * 1e6)
    return statistics.median(batches)


def canonical(seq: int) -> bytes:
    # About 200 bytes, shaped like the hub's canonical JSON; ids only, all synthetic.
    return (
        b'{"actor":{"agency":"agency-%03d","roles":["reader"],"user":"user-%05d"},'
        b'"case":"case-%06d","operation":"VIEW","purpose":"mappa-meeting",'
        b'"record_type":"risk_assessment","seq":%d,"time":"2025-01-01T00:00:00+00:00","v":1}'
        % (seq % 40, seq % 9973, seq % 65537, seq)
    )


def median_us(samples: list[float]) -> float:
    return round(statistics.median(samples) * 1e6, 2)


def main() -> None:
    baseline = baseline_sha256_us()
    print(f"baseline: {baseline:.3f} us per sha256 of 200 bytes")

    started = time.perf_counter()
    entries = [Entry.from_canonical(seq, canonical(seq)) for seq in range(ENTRIES)]
    tree = MerkleTree(entry.leaf_hash for entry in entries)
    key = generate_signing_key()
    keyring = make_keyring([key.public_key()])
    start = datetime(2025, 1, 1, tzinfo=UTC)
    heads = [
        sign_checkpoint(key, ORIGIN, size, tree.root(size), start + timedelta(seconds=size))
        for size in range(EVERY, ENTRIES + 1, EVERY)
    ]
    average_size = sum(len(e.canonical) for e in entries[:1000]) / 1000
    print(
        f"setup: {ENTRIES:,} entries (~{average_size:.0f} bytes each), {len(heads):,} "
        f"checkpoints, in {time.perf_counter() - started:.1f} s (not part of the figures)"
    )

    runs = []
    for _ in range(VERIFY_RUNS):
        started = time.perf_counter()
        verdict = verify_log(entries, heads, keyring)
        runs.append(time.perf_counter() - started)
        assert verdict.ok, verdict.message
    verify_s = statistics.median(runs)
    print(
        f"verify_log: {ENTRIES:,} entries + {len(heads):,} checkpoints in "
        f"{verify_s:.3f} s (median of {VERIFY_RUNS}; runs {', '.join(f'{r:.3f}' for r in runs)})"
    )
    per_entry_us = verify_s / ENTRIES * 1e6
    print(f"  = {per_entry_us:.3f} us per entry = {per_entry_us / baseline:.2f} x baseline hash")

    rng = random.Random(9162)
    full_root = tree.root()
    timings, lengths = [], []
    for _ in range(PROOF_SAMPLES):
        index = rng.randrange(ENTRIES)
        proof = tree.inclusion_proof(index)
        lengths.append(len(proof))
        leaf = tree.leaf(index)
        started = time.perf_counter()
        ok = verify_inclusion(leaf, index, ENTRIES, proof, full_root)
        timings.append(time.perf_counter() - started)
        assert ok
    inclusion_us = median_us(timings)
    inclusion_hashes = max(lengths)
    proof_bytes = 32 * inclusion_hashes
    print(
        f"inclusion proof: {min(lengths)}-{max(lengths)} hashes, at most {proof_bytes} bytes "
        f"raw; verify median {inclusion_us} us"
    )

    timings, lengths = [], []
    for _ in range(PROOF_SAMPLES // 4):
        old = rng.randrange(1, ENTRIES)
        proof = tree.consistency_proof(old)
        lengths.append(len(proof))
        old_root = tree.root(old)
        started = time.perf_counter()
        ok = verify_consistency(old, ENTRIES, old_root, full_root, proof)
        timings.append(time.perf_counter() - started)
        assert ok
    consistency_us = median_us(timings)
    print(
        f"consistency proof to size {ENTRIES:,}: up to {max(lengths)} hashes "
        f"({32 * max(lengths)} bytes); verify median {consistency_us} us"
    )
    tree_bytes = tree.storage_bytes()
    print(f"tree storage: {tree_bytes / 2**20:.1f} MiB for {ENTRIES:,} leaves")

    print(
        json.dumps(
            {
                "entries": ENTRIES,
                "checkpoint_every": EVERY,
                "verify_1m_seconds": round(verify_s, 3),
                "verify_runs_seconds": [round(r, 3) for r in runs],
                "baseline_sha256_200b_us": round(baseline, 3),
                "verify_per_entry_in_baseline_hashes": round(per_entry_us / baseline, 2),
                "inclusion_proof_bytes_1m": proof_bytes,
                "inclusion_proof_hashes_1m": inclusion_hashes,
                "inclusion_verify_us_median": inclusion_us,
                "consistency_proof_bytes_max_1m": 32 * max(lengths),
                "consistency_verify_us_median": consistency_us,
                "tree_storage_mib": round(tree_bytes / 2**20, 1),
            }
        )
    )


if __name__ == "__main__":
    main()

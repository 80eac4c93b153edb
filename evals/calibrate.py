"""Calibrate the refusal threshold of `kb ask` on a set with unanswerable questions.

Usage: python -m evals.calibrate [SET ...]   (default: corpus)
Prints, per threshold, refusal precision/recall and the share of answerable
questions that would be wrongly refused.
"""

from __future__ import annotations

import sys

from answer.candidates import AskSettings
from answer.evidence import gather
from core.config import load_config
from evals.harness import ensure_index
from evals.sets import all_sets
from service.wiring import open_searcher


def strengths(searcher, es) -> list[tuple[bool, bool, float]]:
    """(answerable, pinned, strength) per question."""
    s = AskSettings()
    out = []
    for q in es.questions:
        ev = gather(searcher, q.question, None, s)
        # Structural refusals (a named 文号/条/期 the index lacks, no evidence naming
        # the question's unit or year) happen at any threshold: strength -1.
        structural = bool(ev.result.missing) or not ev.candidates
        out.append((q.answerable, bool(ev.result.pinned) and not structural,
                    -1.0 if structural else ev.strength))
    return out


def sweep(rows, thresholds) -> list[dict]:
    """Refusal quality for each threshold."""
    out = []
    unans = sum(1 for a, _, _ in rows if not a)
    ans = len(rows) - unans
    for t in thresholds:
        refused = [(a, p, v) for a, p, v in rows if not p and v < t]
        tp = sum(1 for a, _, _ in refused if not a)
        out.append({"threshold": t,
                    "precision": tp / len(refused) if refused else 0.0,
                    "recall": tp / unans if unans else 0.0,
                    "false_refusal_rate": (len(refused) - tp) / ans if ans else 0.0})
    return out


def main(names: list[str]) -> None:
    config = load_config()
    for es in all_sets():
        if es.name not in (names or ["corpus"]):
            continue
        searcher = open_searcher(ensure_index(es.index, config))
        rows = strengths(searcher, es)
        print(f"# {es.name}: {sum(not a for a, _, _ in rows)} unanswerable of {len(rows)}")
        for r in sweep(rows, [x / 100 for x in range(0, 60, 4)]):
            print(f"t={r['threshold']:.2f}  P={r['precision']:.3f}  R={r['recall']:.3f}  "
                  f"false-refusal={r['false_refusal_rate']:.3f}")


if __name__ == "__main__":
    main(sys.argv[1:])

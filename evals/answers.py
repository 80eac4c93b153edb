"""Answer metrics for `kb eval`: verified citations, answer hits, refusal quality, per kind.

- answer hit: a citation overlaps a gold passage (any one gold; every gold for two-part
  and cross-document questions, which is what "complete" reports);
- right document: a citation comes from a gold document;
- refusal precision/recall over the unanswerable questions, false refusals of answerable
  ones; each also per question kind (and per `subkind` of the unanswerable ones).
"""

from __future__ import annotations

from answer.answerer import Answerer
from answer.compose import verify
from evals.gold import Copies, GoldLocator, cited, resolve
from evals.sets import EvalSet

_MULTI = ("two_part", "cross")


def _rate(a: int, b: int) -> float:
    return round(a / b, 4) if b else 0.0


def eval_answers(searcher, es: EvalSet, answerer: Answerer, *, details: bool = False) -> dict:
    """Run the answer step on every question of an evaluation set."""
    loc = GoldLocator(searcher.docs)
    copies = Copies(searcher.docs, searcher.chunks)
    n_cit = n_ok = 0
    answerable = hits = 0
    refused_unans = refused_ans = unans = 0
    kinds: dict[str, dict[str, int]] = {}
    rows = []
    for q in es.questions:
        a = answerer.ask(searcher, q.question)
        for c in a.citations:
            n_cit += 1
            n_ok += verify(c, searcher.docs[c.doc_id])
        sub = getattr(q, "subkind", None)
        kind = q.kind if q.answerable else f"unanswerable/{sub or 'other'}"
        k = kinds.setdefault(kind, {"n": 0, "hit": 0, "doc": 0, "complete": 0, "refused": 0})
        k["n"] += 1
        k["refused"] += a.refused
        if not q.answerable:
            unans += 1
            refused_unans += a.refused
            rows.append((q.qid, kind, "refused" if a.refused else "ANSWERED", a.answer[:80]))
            continue
        golds = resolve(q, loc, searcher.normalize)
        if not golds:
            continue
        answerable += 1
        refused_ans += a.refused
        copied = copies.of(golds)
        covered = {gi for c in a.citations
                   for gi in cited(c.doc_id, c.start, c.end, golds, copied)}
        hit = bool(covered)
        hits += hit
        k["hit"] += hit
        k["doc"] += bool(covered) or any(c.doc_id == did for c in a.citations
                                         for did, _ in golds)
        need = len({g.doc + (g.text or "") for g in q.golds}) if q.kind in _MULTI else 1
        k["complete"] += len(covered) >= min(need, len(golds))
        rows.append((q.qid, kind, "hit" if hit else ("REFUSED" if a.refused else "miss"),
                     a.answer[:80]))
    refused = refused_unans + refused_ans
    out = {
        "citations": n_cit,
        "verified_rate": round(n_ok / n_cit, 4) if n_cit else 1.0,
        "answer_hit_rate": _rate(hits, answerable),
        "answerable": answerable,
        "unanswerable": unans,
        "refusal_precision": _rate(refused_unans, refused),
        "refusal_recall": _rate(refused_unans, unans),
        "false_refusals": refused_ans,
        "false_refusal_rate": _rate(refused_ans, answerable),
        "by_kind": {name: ({"n": v["n"], "refused": _rate(v["refused"], v["n"])}
                           if name.startswith("unanswerable") else
                           {"n": v["n"], "answer_hit": _rate(v["hit"], v["n"]),
                            "right_doc": _rate(v["doc"], v["n"]),
                            "complete": _rate(v["complete"], v["n"]),
                            "false_refusals": v["refused"]})
                    for name, v in sorted(kinds.items())},
    }
    if details:
        out["rows"] = rows
    return out

"""Answer metrics for `kb eval`: verified citations, answer hits, refusal quality."""

from __future__ import annotations

from answer.answerer import Answerer
from answer.compose import verify
from evals.gold import GoldLocator, resolve
from evals.sets import EvalSet


def eval_answers(searcher, es: EvalSet, answerer: Answerer) -> dict:
    """Run the answer step on every question of an evaluation set."""
    loc = GoldLocator(searcher.docs)
    n_cit = n_ok = 0
    answerable = hits = 0
    refused_unans = refused_ans = unans = 0
    for q in es.questions:
        a = answerer.ask(searcher, q.question)
        for c in a.citations:
            n_cit += 1
            n_ok += verify(c, searcher.docs[c.doc_id])
        if not q.answerable:
            unans += 1
            refused_unans += a.refused
            continue
        golds = resolve(q, loc, searcher.normalize)
        if not golds:
            continue
        answerable += 1
        refused_ans += a.refused
        hits += any(c.doc_id == did and (sp is None or (c.start < sp[1] and sp[0] < c.end))
                    for c in a.citations for did, sp in golds)
    refused = refused_unans + refused_ans
    return {
        "citations": n_cit,
        "verified_rate": round(n_ok / n_cit, 4) if n_cit else 1.0,
        "answer_hit_rate": round(hits / answerable, 4) if answerable else 0.0,
        "answerable": answerable,
        "unanswerable": unans,
        "refusal_precision": round(refused_unans / refused, 4) if refused else 0.0,
        "refusal_recall": round(refused_unans / unans, 4) if unans else 0.0,
        "false_refusals": refused_ans,
    }

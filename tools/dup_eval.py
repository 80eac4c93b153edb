"""Measure near-duplicate detection (cases.dups) on known pairs, and its speed.

Known pairs:
- the sample corpus (corpus/): four stories told twice on purpose — 财政局 三张清单
  (2023年第3期) edited into 三单联动 (2025年第1期); 审计局 三段式 (2023年第3期) grown into
  the bureau-wide 全流程廉政监督 (2024年第9期); 地方金融管理局 融资直通车 (2023年第7期)
  rewritten as 工业和信息化局 政银企 (2025年第1期), an edited copy under another unit;
  发改委 青年讲堂 (2023年第11期) followed up as 发改讲堂 (2025年第6期);
- ../shared/realdocs (when present): the same article as .md and .pdf, or .md and .docx
  (same file stem), among all case-like documents of cases/, pdf/ and docx/.
Every other pair of cases counts as a non-duplicate, so a pair found that is not known
lowers precision.

Speed: 1,000 synthetic cases (sentences of the sample cases drawn at random, with 50
edited copies among them), timed from story texts to groups.

Usage: python tools/dup_eval.py [--json]
"""

from __future__ import annotations

import argparse
import json
import random
import re
import sys
import time
from itertools import combinations
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cases.dups import groups_of, near_duplicate_pairs  # noqa: E402

REALDOCS = ROOT.parent / "shared" / "realdocs"
SAMPLE_PAIRS = {("xf27-1", "xf49-1"), ("xf27-2", "xf45-1"), ("xf31-1", "xf49-2"),
                ("xf35-1", "xf54-1")}


def documents(paths):
    """Documents of every readable file under `paths` (as an ingest would make them)."""
    from ingest.files import build_document, content_hash, discover

    files, _, _ = discover(paths)
    out = []
    for f in files:
        if f.name.endswith(".expected.txt"):
            continue
        try:
            out.append(build_document(f, content_hash(f)))
        except Exception:  # noqa: BLE001 - an unreadable file is simply not a case
            continue
    return out


def score(found: set[tuple[str, str]], truth: set[tuple[str, str]]) -> dict:
    tp = len(found & truth)
    return {"known_pairs": len(truth), "found_pairs": len(found), "true_positives": tp,
            "recall": tp / len(truth) if truth else 1.0,
            "precision": tp / len(found) if found else 1.0,
            "missed": sorted(truth - found), "false": sorted(found - truth)}


def _pairs(cases) -> set[tuple[str, str]]:
    from service.editorial import build_cases

    built, pairs = build_cases(cases)
    return {(min(p.a, p.b), max(p.a, p.b)) for p in pairs}, built


def sample_eval() -> dict:
    found, _ = _pairs(documents([ROOT / "corpus"]))
    return score(found, SAMPLE_PAIRS)


def realdocs_eval(root: Path = REALDOCS) -> dict | None:
    """Pairs of files with the same stem (an article as .md and .pdf) must be grouped; a
    file that yields no case leaves its pair missed."""
    if not root.is_dir():
        return None
    docs = documents([root / "cases", root / "pdf", root / "docx"])
    found, built = _pairs(docs)
    case_of = {c.source: c.case_id for c in built}
    truth = set()
    for a, b in combinations(docs, 2):
        if Path(a.source).stem == Path(b.source).stem:
            ka = case_of.get(a.source, f"（不是案例）{Path(a.source).name}")
            kb = case_of.get(b.source, f"（不是案例）{Path(b.source).name}")
            truth.add((min(ka, kb), max(ka, kb)))
    result = score(found, truth)
    result["cases"] = len(built)
    result["documents"] = len(docs)
    return result


def synthetic(n: int = 1000, copies: int = 50, seed: int = 7):
    """(items, known pairs): n stories of sample-case sentences, `copies` of them edited."""
    from service.editorial import build_cases

    cases, _ = build_cases(documents([ROOT / "corpus"]))
    sentences = [s for c in cases for s in re.split(r"(?<=。)", c.summary + "".join(
        q.text for q in c.quotes)) if len(s) > 10]
    docs = {d.doc_id: d for d in documents([ROOT / "corpus"])}
    for c in cases:
        sentences += [s for s in re.split(r"(?<=。)", docs[c.doc_id].text[
            c.story_start:c.story_end]) if len(s) > 10]
    rnd = random.Random(seed)
    items = [(f"s{i:04d}", "".join(rnd.sample(sentences, 25)), f"单位{i % 300}")
             for i in range(n - copies)]
    truth = set()
    for j in range(copies):
        key, text, organ = items[rnd.randrange(len(items) - 1)]
        parts = re.split(r"(?<=。)", text)
        keep = [p for p in parts if rnd.random() > 0.3] + rnd.sample(sentences, 8)
        copy_key = f"t{j:04d}"
        items.append((copy_key, "".join(keep), f"他单位{j}"))
        truth.add((min(key, copy_key), max(key, copy_key)))
    return items, truth


def timing(n: int = 1000) -> dict:
    items, truth = synthetic(n)
    t0 = time.perf_counter()
    pairs = near_duplicate_pairs(items)
    groups_of([k for k, _, _ in items], pairs)
    seconds = time.perf_counter() - t0
    found = {(min(p.a, p.b), max(p.a, p.b)) for p in pairs}
    # Random draws of the same sentences can truly overlap: only the copies are scored.
    copies = {p for p in found if p[0].startswith("t") or p[1].startswith("t")}
    return {"cases": len(items), "seconds": round(seconds, 2),
            "seconds_per_1000": round(seconds * 1000 / len(items), 2),
            "copies_recall": len(copies & truth) / len(truth)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    out = {"sample": sample_eval(), "realdocs": realdocs_eval(), "timing": timing()}
    both = [r for r in (out["sample"], out["realdocs"]) if r]
    tp = sum(r["true_positives"] for r in both)
    out["overall"] = {"recall": tp / sum(r["known_pairs"] for r in both),
                      "precision": tp / max(1, sum(r["found_pairs"] for r in both))}
    if args.json:
        print(json.dumps(out, ensure_ascii=False, indent=2))
        return 0
    for name in ("sample", "realdocs"):
        r = out[name]
        if r is None:
            print(f"{name}: ../shared/realdocs is absent, skipped")
            continue
        print(f"{name}: recall {r['recall']:.3f} ({r['true_positives']}/{r['known_pairs']}), "
              f"precision {r['precision']:.3f} ({r['true_positives']}/{r['found_pairs']})"
              + (f", missed {r['missed']}" if r["missed"] else "")
              + (f", false {r['false']}" if r["false"] else ""))
    o, t = out["overall"], out["timing"]
    print(f"overall: recall {o['recall']:.3f}, precision {o['precision']:.3f}")
    print(f"timing: {t['cases']} cases in {t['seconds']} s ({t['seconds_per_1000']} s per "
          f"1,000 cases); recall of the 50 edited copies {t['copies_recall']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

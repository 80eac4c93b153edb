"""Evaluation sets: the sample-corpus gold questions and the real development sets.

A gold names a document (a file stem, a path relative to the set's root, or
`documents.json#doc_N`) and optionally a verbatim passage; a retrieved chunk
is relevant when it lies in that document and overlaps that passage.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS_DIR = ROOT / "evals" / "questions"
REAL_QUESTIONS = ROOT / "evals" / "questions_real"
BLIND_QUESTIONS = ROOT / "evals" / "questions_blind"
REALDOCS = ROOT.parent / "shared" / "realdocs"


@dataclass(frozen=True)
class Gold:
    doc: str  # file stem, relative path, or "documents.json#doc_N"
    text: str | None  # verbatim passage; None = any chunk of the document is relevant


@dataclass(frozen=True)
class Question:
    qid: str
    question: str
    kind: str
    golds: tuple[Gold, ...]  # empty = unanswerable
    subkind: str | None = None  # finer label, e.g. why an unanswerable question has no answer

    @property
    def answerable(self) -> bool:
        return bool(self.golds)


@dataclass(frozen=True)
class EvalSet:
    name: str
    index: str  # which evaluation index it runs against: "corpus" or "realdocs"
    questions: tuple[Question, ...]


def _read_jsonl(path: Path) -> Iterator[dict]:
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def _as_list(v) -> list:
    return [] if v is None else v if isinstance(v, list) else [v]


def _corpus_questions(paths: list[Path]) -> tuple[Question, ...]:
    qs = []
    for path in paths:
        for r in _read_jsonl(path):
            golds = tuple(Gold(d, g) for d, g in zip(_as_list(r.get("doc")),
                                                     _as_list(r.get("gold")), strict=True))
            qs.append(Question(r["id"], r["question"], r.get("kind", "fact"), golds,
                               r.get("subkind")))
    return tuple(qs)


def corpus_set() -> EvalSet:
    """Gold questions over corpus/ (evals/questions/*.jsonl)."""
    return EvalSet("corpus", "corpus", _corpus_questions(sorted(QUESTIONS_DIR.glob("*.jsonl"))))


def corpus_blind_sets() -> list[EvalSet]:
    """Questions over corpus/ written by someone who saw neither the code nor the other
    questions, kept apart (evals/questions_blind/<name>.jsonl is the set "corpus_<name>"),
    so that what was tuned on evals/questions does not blur what they measure."""
    return [EvalSet(f"corpus_{p.stem}", "corpus", _corpus_questions([p]))
            for p in sorted(BLIND_QUESTIONS.glob("*.jsonl"))]


def _gz_key(doc: str) -> str:
    return doc.replace("policy_gz/documents.json#", "documents.json#")


def _real_questions(path: Path) -> EvalSet:
    """One evals/questions_real/*.jsonl file as the set "real_<stem>"; kind defaults to the stem."""
    qs = []
    for r in _read_jsonl(path):
        golds = tuple(Gold(_gz_key(d), g) for d, g in zip(_as_list(r.get("doc")),
                                                        _as_list(r.get("gold")), strict=True))
        qs.append(Question(r["id"], r["question"], r.get("kind", path.stem), golds,
                           r.get("subkind")))
    return EvalSet(f"real_{path.stem}", "realdocs", tuple(qs))


def real_sets() -> list[EvalSet]:
    """The development sets in ../shared/realdocs/qa plus our own questions in evals/questions_real
    (paraphrase.jsonl first, then every other file in name order, each its own set)."""
    qa = REALDOCS / "qa"
    if not qa.is_dir():
        return []
    out = []
    aligned = []
    for i, r in enumerate(_read_jsonl(qa / "aligned_qa.jsonl"), start=1):
        docs = r.get("all_matching_docs") or [r["doc"]]
        aligned.append(Question(f"aligned-{i:03d}", r["question"], "quiz",
                                tuple(Gold(d, r["evidence"]) for d in docs)))
    out.append(EvalSet("aligned", "realdocs", tuple(aligned)))
    hand = []
    for i, r in enumerate(_read_jsonl(qa / "example_questions_handwritten.jsonl"), start=1):
        hand.append(Question(f"hand-{i:02d}", r["q"], r.get("type", "fact"),
                             (Gold(_gz_key(r["doc"]), r["evidence"]),)))
    out.append(EvalSet("handwritten", "realdocs", tuple(hand)))
    gz = []
    for r in _read_jsonl(qa / "gz_knowledge_qa.jsonl"):
        gz.append(Question(f"gz-{r['id']}", r["query"], r.get("category", "topic"),
                           tuple(Gold(f"documents.json#{d}", None)
                                 for d in r.get("relevant_doc_ids", []))))
    out.append(EvalSet("gz", "realdocs", tuple(q for q in gz if q.golds)))
    para = REAL_QUESTIONS / "paraphrase.jsonl"
    if para.is_file():
        out.append(_real_questions(para))
    for path in sorted(REAL_QUESTIONS.glob("*.jsonl")):
        if path != para:
            out.append(_real_questions(path))
    return out


def all_sets() -> list[EvalSet]:
    return [corpus_set(), *corpus_blind_sets(), *real_sets()]


def materialize_gz_docs(dest: Path) -> Path | None:
    """Write each documents.json entry as `doc_N.txt` so it is ingested as a document."""
    src = REALDOCS / "policy_gz" / "documents.json"
    if not src.is_file():
        return None
    dest.mkdir(parents=True, exist_ok=True)
    for d in json.loads(src.read_text(encoding="utf-8")):
        head = [d["title"]]
        if d.get("doc_no"):
            head.append(d["doc_no"])
        body = "\n".join(head) + "\n" + d.get("original_text", "")
        f = dest / f"{d['id']}.txt"
        if not f.is_file() or f.read_text(encoding="utf-8") != body:
            f.write_text(body, encoding="utf-8")
    return dest

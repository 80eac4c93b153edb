"""Near-duplicate stories: the same case told twice is put in one group.

Kinds of duplicates met in practice: an edited copy (a later issue rewrites a case with
new figures), the same article as .md and .pdf, a case reprinted in a later issue, one
unit's follow-up retelling its story. Stories are compared as sets of character n-grams
over their CJK letters and digits only (a PDF, a web page and a text file then give the
same n-grams whatever their punctuation, spaces and line breaks).

Containment |A∩B| / min(|A|, |B|), not Jaccard, decides: an edited copy that keeps
half of a story and adds as much again has a Jaccard of about 0.3 but a containment of
0.5, and a short reprint inside a longer text scores as high as a full copy.

datasketch's MinHash LSH Ensemble (an index for containment queries) proposes the
candidate pairs, so a catalog is not compared pair by pair; each candidate is then
measured exactly on its n-gram sets, which are at hand. Cases of the same organ are
always compared, against a lower bar: a unit's follow-up shares fewer words with the
first telling but is the same story (the 青年讲堂 of 2023 and the 发改讲堂 of 2025).
Thresholds were set on the sample corpus and ../shared/realdocs (tools/dup_eval.py):
true pairs score 0.17–0.99 (0.17–0.26 for a unit's retellings, 0.50 for the copy under
another unit), other pairs of the same organ at most 0.04, any other pair at most 0.14.
"""

from __future__ import annotations

import hashlib
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations

_KEEP = re.compile(r"[\u4e00-\u9fff0-9A-Za-z]+")
_PREFILTER = 0.5  # candidates whose estimated containment is below half the bar are dropped


@dataclass(frozen=True)
class DupSettings:
    ngram: int = 5
    num_perm: int = 128
    containment: float = 0.25  # any two stories
    same_organ: float = 0.10  # two stories of the same organ
    lsh_threshold: float = 0.18  # candidates: a little below the bar, LSH is approximate
    num_part: int = 8  # size partitions of the LSH Ensemble
    min_ngrams: int = 30  # shorter stories are too short to judge


@dataclass(frozen=True)
class DupPair:
    a: str
    b: str
    containment: float
    same_organ: bool


@lru_cache(maxsize=1 << 20)
def _hash32(gram: str) -> int:
    """datasketch's sha1_hash32, once per distinct n-gram (stories share many)."""
    return int.from_bytes(hashlib.sha1(gram.encode("utf-8")).digest()[:4], "little")


def story_key(text: str) -> str:
    """The letters a story is compared by: CJK, digits and Latin, nothing else."""
    return "".join(_KEEP.findall(text))


def ngrams(text: str, n: int) -> set[str]:
    key = story_key(text)
    return {key[i:i + n] for i in range(len(key) - n + 1)}


def containment(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def near_duplicate_pairs(items: Sequence[tuple[str, str, str]],
                         settings: DupSettings | None = None) -> list[DupPair]:
    """Pairs of near-duplicate stories among (case id, story text, organ) items."""
    from datasketch import MinHash, MinHashLSHEnsemble

    st = settings or DupSettings()
    grams = {key: ngrams(text, st.ngram) for key, text, _ in items}
    organ = {key: o for key, _, o in items}
    keys = [k for k, _, _ in items if len(grams[k]) >= st.min_ngrams]
    candidates: set[tuple[str, str]] = set()
    hashes = []
    if len(keys) > 1:
        hashes = MinHash.bulk([grams[k] for k in keys], num_perm=st.num_perm,
                              hashfunc=_hash32)
        # Weights favour recall: every candidate is measured exactly afterwards.
        lsh = MinHashLSHEnsemble(threshold=st.lsh_threshold, num_perm=st.num_perm,
                                 num_part=st.num_part, weights=(0.2, 0.8))
        lsh.index([(k, h, len(grams[k])) for k, h in zip(keys, hashes, strict=True)])
        for k, h in zip(keys, hashes, strict=True):
            for other in lsh.query(h, len(grams[k])):
                if other != k:
                    candidates.add((min(k, other), max(k, other)))
    by_organ: dict[str, list[str]] = defaultdict(list)
    for k in keys:
        if organ[k]:
            by_organ[organ[k]].append(k)
    for members in by_organ.values():
        candidates.update((min(a, b), max(a, b)) for a, b in combinations(members, 2))
    index = {k: i for i, k in enumerate(keys)}
    ordered = sorted(candidates)
    estimate = _estimated_containment(ordered, index, hashes, grams) if ordered else []
    pairs = []
    for (a, b), est in zip(ordered, estimate, strict=True):
        same = bool(organ[a]) and organ[a] == organ[b]
        bar = st.same_organ if same else st.containment
        # The MinHash estimate rules out most candidates without touching the n-grams;
        # its margin is several standard errors wide, so no true pair is lost here.
        if est < _PREFILTER * bar:
            continue
        c = containment(grams[a], grams[b])
        if c >= bar:
            pairs.append(DupPair(a, b, round(c, 3), same))
    return pairs


def _estimated_containment(pairs, index, hashes, grams) -> list[float]:
    """Containment of each pair estimated from its MinHash signatures and set sizes."""
    import numpy as np

    sig = np.stack([h.hashvalues for h in hashes])
    i = np.array([index[a] for a, _ in pairs])
    j = np.array([index[b] for _, b in pairs])
    jac = (sig[i] == sig[j]).mean(axis=1)
    size = np.array([len(grams[k]) for k in index])
    inter = jac / (1 + jac) * (size[i] + size[j])
    return list(inter / np.minimum(size[i], size[j]))


def groups_of(keys: Sequence[str], pairs: Sequence[DupPair]) -> dict[str, str]:
    """case id -> group id for every case in a group of two or more (union of pairs).

    A group is named by its first member in sorted order: g-xf35-1.
    """
    parent = {k: k for k in keys}

    def root(k: str) -> str:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for p in pairs:
        ra, rb = root(p.a), root(p.b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    members: dict[str, list[str]] = defaultdict(list)
    for k in keys:
        members[root(k)].append(k)
    out: dict[str, str] = {}
    for group in members.values():
        if len(group) > 1:
            name = f"g-{min(group)}"
            out.update((k, name) for k in group)
    return out

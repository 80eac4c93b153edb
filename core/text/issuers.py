"""Issuing bodies under one name: 机关工委 = 机关工作委员会, 机关党委 = 机关委员会 …

`canonical_issuer` maps the long and short forms an organ is written in onto one form
(the short one, as people say it); `issuer_matches` is the filter rule: the canonical
query is contained in the canonical issuer (so `机关工委` finds 中共示例市委市级机关工作
委员会, and 市直机关工委 the 市级机关工委). Pure functions.
"""

from __future__ import annotations

import re

_RULES = (
    ("机关工作委员会", "机关工委"),
    ("工作委员会", "工委"),
    ("机关委员会", "机关党委"),
    ("党总支部委员会", "党总支"),
    ("总支部委员会", "党总支"),
    ("党支部委员会", "党支部"),
    ("直属机关", "直机关"),
    ("市直机关", "市级机关"),
    ("区直机关", "区级机关"),
    ("县直机关", "县级机关"),
)
_PARTY = re.compile(r"(^|\s)中国共产党|(^|\s)中共")


def canonical_issuer(name: str) -> str:
    """One form per organ: no leading 中共/中国共产党, short forms (机关工委, 机关党委),
    spaces collapsed (co-issuers stay separated by one space)."""
    n = " ".join(name.split())
    n = _PARTY.sub(lambda m: m.group(1) or m.group(2) or "", n)
    for long, short in _RULES:
        n = n.replace(long, short)
    return n.strip()


def issuers_of(name: str) -> list[str]:
    """The canonical names of each co-issuer of `name` (written space-separated)."""
    return [p for p in canonical_issuer(name).split(" ") if p]


def issuer_matches(query: str, issuer: str | None) -> bool:
    """Whether an issuer filter `query` selects a document issued by `issuer`."""
    q = canonical_issuer(query).replace(" ", "")
    if not q:
        return True
    return bool(issuer) and q in canonical_issuer(issuer or "").replace(" ", "")

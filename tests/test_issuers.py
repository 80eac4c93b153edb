"""Issuer aliases (core.text.issuers) and the --issuer filter that uses them."""

from __future__ import annotations

from core.models import DocMeta, Document, Filters
from core.text.issuers import canonical_issuer, issuer_matches, issuers_of


def test_long_and_short_forms_are_one_organ():
    long = "中共示例市委市级机关工作委员会"
    short = "中共示例市委市级机关工委"
    assert canonical_issuer(long) == canonical_issuer(short) == "示例市委市级机关工委"
    party = canonical_issuer("中共示例市财政局机关委员会")
    assert party == canonical_issuer("示例市财政局机关党委")
    assert canonical_issuer("中共示例市档案馆总支部委员会") == "示例市档案馆党总支"
    assert issuers_of("中共示例市委组织部 中共示例市委市级机关工作委员会") == [
        "示例市委组织部", "示例市委市级机关工委"]


def test_filter_rule():
    for q in ("机关工委", "机关工作委员会", "工委", "市直机关工委", "中共示例市委市级机关工委"):
        assert issuer_matches(q, "中共示例市委市级机关工作委员会"), q
    assert issuer_matches("财政局机关党委", "中共示例市财政局机关委员会")
    assert not issuer_matches("机关工委", "示例市数据局机关党委")
    assert not issuer_matches("机关工委", None) and issuer_matches("", None)


def test_filters_allow_uses_the_aliases():
    doc = Document(doc_id="d", source="/x", text="t", content_hash="h",
                   meta=DocMeta(title="T", issuer="中共示例市委市级机关工作委员会"))
    assert Filters(issuer="机关工委").allows(doc)
    assert not Filters(issuer="统计局").allows(doc)

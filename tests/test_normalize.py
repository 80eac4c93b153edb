"""Normalisation rules (docs/CONTRACTS.md) and PDF line rejoining."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest

from core.models import RawDocument
from core.text.normalize import normalize_query, normalize_text
from core.text.radicals import RADICAL_SUPPLEMENT
from ingest.normalize import normalize_document
from ingest.pdf_lines import count_joins, rejoin_lines, should_join

REALDOCS = Path(__file__).resolve().parents[1].parent / "shared" / "realdocs"


def norm(text: str) -> str:
    return normalize_text(text)[0]


def test_fullwidth_letters_digits_become_ascii_but_cjk_punctuation_stays() -> None:
    assert norm("ＡＢＣ１２３ａｂ") == "ABC123ab"
    kept = "，。；：！？（）【】〔〕“”‘’、《》"
    assert norm(f"甲{kept}乙") == f"甲{kept}乙"
    assert norm("……") == "……"


def test_enclosed_list_markers_are_kept() -> None:
    assert norm("①加强学习 ㈠组织") == "①加强学习 ㈠组织"


def test_every_supplement_radical_maps_to_an_ideograph() -> None:
    assert len(RADICAL_SUPPLEMENT) == 114
    for radical, ideograph in RADICAL_SUPPLEMENT.items():
        out = norm(radical)
        assert out == ideograph
        assert not 0x2E80 <= ord(out) <= 0x2FDF
        assert unicodedata.name(out).startswith("CJK UNIFIED IDEOGRAPH")


def test_common_lookalikes() -> None:
    assert norm("人⺠⻓征⻔⼾⻘年⻅⻛⻢⻬⻚⻣⼤⼈") == "人民长征门户青年见风马齐页骨大人"


def test_spaces_between_cjk_and_digits_or_latin_removed() -> None:
    assert norm("2024 年") == "2024年"
    assert norm("第 3 条") == "第3条"
    assert norm("社会工作部 2024 年度") == "社会工作部2024年度"
    assert norm("使用 AI 技术") == "使用AI技术"
    assert norm("下降 3.2% 以上") == "下降3.2%以上"
    assert norm("Hello  world") == "Hello world"
    assert norm("一 、总体要求") == "一、总体要求"
    assert norm("示办发〔 2024 〕 7 号") == "示办发〔2024〕7号"


def test_whitespace_rules() -> None:
    assert norm("a\r\nb\rc") == "a\nb\nc"
    assert norm("　　第一条\u3000为了\u00a0加强  ") == "第一条 为了 加强"
    assert norm("甲\n\n\n\n乙\n\n") == "甲\n\n乙"
    assert norm("零\u200b宽\ufeff字") == "零宽字"


def test_index_map_points_into_the_input() -> None:
    raw = "　　第 3 条\r\n２０２４ 年"
    text, index = normalize_text(raw)
    assert text == "第3条\n2024年"
    assert len(index) == len(text)
    assert index == sorted(index)
    assert raw[index[text.index("条")]] == "条"
    assert raw[index[text.index("年")]] == "年"
    assert unicodedata.normalize("NFKC", raw[index[text.index("2")]]) == "2"


def test_normalize_document_maps_page_starts() -> None:
    page1 = "　第一页内容，还没有结束"
    raw = RawDocument(source="x.pdf", text=page1 + "\n⼆页 2024 年", fmt="pdf",
                      page_starts=(0, len(page1) + 1))
    text, starts = normalize_document(raw)
    assert starts[0] == 0
    assert text[starts[1]:].startswith("二页2024年")


def test_normalize_query() -> None:
    assert normalize_query("  2024 年 工作\n报告 ") == "2024年 工作 报告"
    assert normalize_query("⺠主 评议") == "民主 评议"


FULL = "为压紧压实市级机关各级党组织抓党建工作的政治责任构建明责履责考责问责相互衔接的工作闭"


def test_rejoin_full_lines_inside_sentences() -> None:
    text = "\n".join([FULL, FULL, "环。", "二、主要做法", FULL, "做法。"])
    out, index = rejoin_lines(text)
    assert out == f"{FULL}{FULL}环。\n二、主要做法\n{FULL}做法。"
    assert [text[i] for i in index] == list(out)


def test_rejoin_keeps_author_breaks() -> None:
    ref = 2 * len(FULL)
    assert should_join(FULL, "继续", ref)
    assert not should_join(FULL[:-1] + "。", "继续", ref)  # sentence end
    assert not should_join("短的标题行", "正文", ref)  # short line
    assert not should_join(FULL, "第二条 正文", ref)  # heading next
    assert not should_join(FULL, "（一）正文", ref)
    assert not should_join(FULL, "一是正文", ref)
    assert not should_join(FULL, "【典型案例二】正文", ref)
    assert not should_join(FULL, "示机工发〔2024〕3号", ref)  # title never onto 文号
    assert not should_join("示机工发〔2024〕3号", FULL, ref)
    assert not should_join(FULL, "2024年3月15日", ref)
    assert not should_join(FULL, "|a|b|", ref)
    assert not should_join(FULL + "12", "34 万元", ref)  # numbers never wrap inside
    assert not should_join("一、" + FULL[:32], "正文", ref)  # heading must be really full


def test_rejoin_latin_words_keep_a_space() -> None:
    line = "The party branch committee held a meeting on learning and study today and"
    out, _ = rejoin_lines("\n".join([line, line, "end."]))
    assert "and The" in out and "\n" not in out


def test_rejoin_only_when_asked() -> None:
    text = "\n".join([FULL, FULL + "。"])
    assert normalize_text(text)[0] == text
    assert rejoin_lines(normalize_text(text)[0])[0] == FULL + FULL + "。"


def test_realdocs_pdfs_rejoined_and_radicals_fixed() -> None:
    if not REALDOCS.is_dir():
        pytest.skip("realdocs folder absent")
    from ingest.loaders import load_file

    pdfs = sorted((REALDOCS / "pdf").glob("*.pdf"))
    if not pdfs:
        pytest.skip("no realdocs PDFs")
    for pdf in pdfs[:3]:
        raw = load_file(pdf)
        text, starts = normalize_document(raw)
        assert not any(0x2E80 <= ord(c) <= 0x2FDF for c in text), pdf.name
        assert len(starts) >= 1 and list(starts) == sorted(starts)
        assert count_joins(normalize_text(raw.text)[0]) > 0, pdf.name

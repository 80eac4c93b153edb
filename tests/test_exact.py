import re

from index.exact import parse_exact, section_article
from ingest.structure import cn_to_int

DOC_NO = re.compile(r"[\u4e00-\u9fff]{1,8}[〔\[（(【]\d{4}[〕\]）)】]\d+号")


def _norm(s: str) -> str:
    return re.sub(r"[\[（(【]", "〔", re.sub(r"[\]）)】]", "〕", s))


def test_chinese_numerals():
    assert cn_to_int("九") == 9
    assert cn_to_int("十") == 10
    assert cn_to_int("二十一") == 21
    assert cn_to_int("一百零五") == 105
    assert cn_to_int("37") == 37


def test_parse_exact_finds_docno_article_title_and_quotes():
    q = parse_exact("示机工发[2023]12号第三条和《培训管理办法》里“集中轮训”怎么说",
                    DOC_NO, _norm)
    assert q.doc_nos == ("示机工发〔2023〕12号",)
    assert q.articles == (3,)
    assert q.titles == ("培训管理办法",)
    # a quoted phrase inside a longer question is left to BM25 ...
    assert q.phrases == ()
    # ... but a query that is (nearly) just the quote is a verbatim search
    assert parse_exact("“集中轮训”", DOC_NO, _norm).phrases == ("集中轮训",)
    assert parse_exact("\"网络学习\" 在哪", DOC_NO, _norm).phrases == ("网络学习",)


def test_section_article_uses_innermost():
    assert section_article("第二章 培训要求 > 第三条") == 3
    assert section_article("一、总体要求") is None

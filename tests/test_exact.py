"""Exact matching of what users type verbatim, with the project's own 文号 pattern."""

from index.exact import parse_exact, section_article, strip_names


def test_parse_exact_finds_docno_article_title_and_quotes():
    q = parse_exact("示机工发[2023]12号第三条和《培训管理办法》里“集中轮训”怎么说")
    assert q.doc_nos == ("示机工发〔2023〕12号",)
    assert q.articles == (3,)
    assert q.titles == ("培训管理办法",)
    # a quoted phrase inside a longer question is left to BM25 ...
    assert q.phrases == ()
    # ... but a query that is (nearly) just the quote is a verbatim search
    assert parse_exact("“集中轮训”").phrases == ("集中轮训",)
    assert parse_exact("\"网络学习\" 在哪").phrases == ("网络学习",)


def test_unbracketed_doc_no_and_chinese_article_numbers():
    q = parse_exact("穗府办规2024-13号第十二条怎么规定")
    assert q.doc_nos == ("穗府办规〔2024〕13号",) and q.articles == (12,)
    assert parse_exact("示机工发（2023）12号 第一百零三条").articles == (103,)


def test_strip_names_keeps_what_is_asked():
    rest = strip_names("《示例市级机关党务干部培训管理办法》示机工发〔2023〕12号 培训学时")
    assert rest.split() == ["培训学时"]


def test_section_article_uses_innermost():
    assert section_article(("第二章 培训要求", "第三条")) == 3
    assert section_article(("一、总体要求",)) is None
    assert section_article(()) is None

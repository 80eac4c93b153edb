"""Main text of an HTML page (government article pages in practice).

Steps:
1. drop non-content elements: script/style/form controls, nav/header/footer/aside,
   hidden elements (display:none copies of the text exist), and elements whose
   id/class names say navigation, breadcrumb, share, footer …;
2. pick the main container: each text block credits its container (fully) and the
   container's parent (half), links count for nothing, and the winner is the
   element with the highest credit times (1 - link density);
3. render it with block elements on their own lines (`<br>` too), inline
   elements joined, data tables as `|a|b|` rows (same as .docx), layout
   tables (nested tables) as plain blocks;
4. drop short boilerplate lines (版权所有, 网站地图, 打印本页, 关闭窗口, 浏览次数 …);
5. put the page title (meta ArticleTitle, h1 or <title> without the site name)
   first when the main text does not already start with it.
"""

from __future__ import annotations

import re
from collections import defaultdict

from bs4 import BeautifulSoup, NavigableString, Tag
from bs4.element import Comment, Doctype, ProcessingInstruction

from core.text.dates import find_date

_DROP_TAGS = [
    "script", "style", "noscript", "template", "svg", "iframe", "select", "option", "input",
    "button", "textarea", "nav", "header", "footer", "aside", "head", "object", "embed",
    "canvas", "map", "link", "meta",
]
_BOILER_TOKENS = {
    "nav", "navbar", "menu", "breadcrumb", "breadcrumbs", "crumb", "crumbs", "footer",
    "sidebar", "share", "bdshare", "copyright", "toolbar", "pagination", "pager", "login",
    "search", "banner", "related", "topbar", "skip",
}
_BLOCK_TAGS = {
    "p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "li",
    "ul", "ol", "table", "tr", "td", "th", "tbody", "thead", "tfoot", "blockquote", "pre",
    "center", "dd", "dt", "dl", "figure", "figcaption", "form", "address", "hr", "body",
    "caption",
}
_LEAF_BLOCKS = {"p", "li", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "dd", "dt", "th",
                "figcaption", "caption"}
_BOILER_LINE_RE = re.compile(
    r"版权所有|网站地图|打印本页|关闭窗口|【打印】|【关闭】|字体[：:]|字号[：:]|分享到|浏览次数|阅读次数"
    r"|访问量|当前位置|上一篇|下一篇|扫一扫|联系我们|ICP备|公网安备|网站标识码|主办单位|承办单位"
    r"|技术支持|返回顶部|收藏本页|设为首页|加入收藏|无障碍|长者助手|长者专区|^(分享|打印|关闭|收藏"
    r"|大|中|小|[【】\[\]>»-]|首页|发布|取消|分享文章到)$"
)
_BOILER_MAX_LEN = 60
_TAIL_RE = re.compile(r"\s*(浏览次数|阅读次数|访问量|字号|字体)[：:].*$")
_WS_RE = re.compile(r"[ \t\n\r\f\v]+")
_TITLE_SPLIT_RE = re.compile(r"\s+[-_|–—]+\s+|[_|]|-(?=[^-]*$)")


def _is_hidden(tag: Tag) -> bool:
    style = str(tag.get("style") or "").replace(" ", "").lower()
    return (
        "display:none" in style
        or "visibility:hidden" in style
        or tag.has_attr("hidden")
        or str(tag.get("aria-hidden") or "").lower() == "true"
    )


def _is_boiler_element(tag: Tag) -> bool:
    names = " ".join([str(tag.get("id") or ""), " ".join(tag.get("class") or [])]).lower()
    tokens = set(re.split(r"[^a-z0-9]+", names))
    return bool(tokens & _BOILER_TOKENS)


def _page_title(soup: BeautifulSoup) -> str:
    for name in ("ArticleTitle", "og:title"):
        meta = soup.find("meta", attrs={"name": name}) or soup.find("meta", property=name)
        if isinstance(meta, Tag) and meta.get("content", "").strip():
            return _WS_RE.sub(" ", meta["content"]).strip()
    h1 = soup.find("h1")
    if isinstance(h1, Tag):
        text = _WS_RE.sub(" ", h1.get_text(" ")).strip()
        if 4 <= len(text) <= 120:
            return text
    if soup.title and soup.title.string:
        parts = [p.strip() for p in _TITLE_SPLIT_RE.split(soup.title.string) if p and p.strip()]
        if parts:
            # "文章标题 - 网站名": the article title comes first.
            return parts[0] if len(parts[0]) >= 4 else max(parts, key=len)
    return ""


def _text_nodes(root: Tag):
    for node in root.descendants:
        if isinstance(node, NavigableString) and not isinstance(
            node, Comment | Doctype | ProcessingInstruction
        ):
            yield node


def _main_container(body: Tag) -> Tag:
    credit: dict[int, float] = defaultdict(float)
    tags: dict[int, Tag] = {}
    link_text: dict[int, int] = defaultdict(int)
    all_text: dict[int, int] = defaultdict(int)
    for node in _text_nodes(body):
        n = len(node.strip())
        if not n:
            continue
        in_link = node.find_parent("a") is not None
        for anc in node.parents:
            if anc is None or anc.name == "[document]":
                break
            all_text[id(anc)] += n
            if in_link:
                link_text[id(anc)] += n
        if in_link:
            continue
        block = node.find_parent(lambda t: t.name in _BLOCK_TAGS)
        if block is None:
            continue
        container = block.parent if block.name in _LEAF_BLOCKS and block.parent else block
        tags[id(container)] = container
        credit[id(container)] += n
        if container.parent is not None and container.parent.name != "[document]":
            tags[id(container.parent)] = container.parent
            credit[id(container.parent)] += n / 2
    if not credit:
        return body

    def score(key: int) -> float:
        density = link_text[key] / max(1, all_text[key])
        return credit[key] * (1 - density)

    return tags[max(credit, key=score)]


def _is_data_table(table: Tag) -> bool:
    rows = table.find_all("tr")
    if table.find("table") is not None or len(rows) < 2:
        return False
    return max(len(r.find_all(["td", "th"], recursive=False)) for r in rows) >= 2


def _inline(tag: Tag) -> str:
    return _WS_RE.sub(" ", tag.get_text(" ")).strip()


def _render(node: Tag, out: list[str]) -> None:
    for child in node.children:
        if isinstance(child, Comment | Doctype | ProcessingInstruction):
            continue
        if isinstance(child, NavigableString):
            out.append(_WS_RE.sub(" ", str(child)))
            continue
        if not isinstance(child, Tag):
            continue
        if child.name == "br":
            out.append("\n")
        elif child.name == "table" and _is_data_table(child):
            out.append("\n")
            for row in child.find_all("tr"):
                cells = [_inline(c) for c in row.find_all(["td", "th"], recursive=False)]
                if any(cells):
                    out.append("|" + "|".join(cells) + "|\n")
        elif child.name in _BLOCK_TAGS:
            out.append("\n")
            _render(child, out)
            out.append("\n")
        else:
            _render(child, out)


def _clean_lines(text: str) -> list[str]:
    lines = []
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            continue
        if len(line) <= _BOILER_MAX_LEN and _BOILER_LINE_RE.search(line):
            # A boilerplate line that carries the publication date keeps it, minus the tail.
            found = find_date(line)
            if found is None or len(found[2]) != len("YYYY-MM-DD"):
                continue
            line = _TAIL_RE.sub("", line)
        lines.append(line)
    return lines


def html_to_text(data: bytes) -> str:
    """Main text of an HTML document, one block per line."""
    soup = BeautifulSoup(data, "lxml")
    title = _page_title(soup)
    body = soup.body or soup
    for tag in body.find_all(_DROP_TAGS):
        tag.decompose()
    for tag in body.find_all(True):
        if tag.decomposed or tag.name in ("body", "html"):
            continue
        if _is_hidden(tag) or _is_boiler_element(tag):
            tag.decompose()
    out: list[str] = []
    _render(_main_container(body), out)
    lines = _clean_lines("".join(out))
    if title and not any(title in ln or (len(ln) >= 6 and ln in title) for ln in lines[:3]):
        lines.insert(0, title)
    return "\n".join(lines)

"""Small HTML builders for the pages: escaping, highlighting, passage boxes.

Everything here is pure (strings in, strings out) so it can be tested without Streamlit.
Texts are shown with `st.html`, which does not run Markdown over them: Chinese official
text often starts lines with "1." or contains "*", which Markdown would mangle.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

MARK_STYLE = "background:#ffe58f;padding:0 2px;border-radius:2px"
PASSAGE_STYLE = (
    "white-space:pre-wrap;line-height:1.9;font-size:1rem;"
    "font-family:'Noto Serif CJK SC','Source Han Serif SC','WenQuanYi Micro Hei',serif"
)
FOCUS_ID = "kb-focus"

_MARKER = re.compile(r"\[(\d+)\]")


def esc(text: str) -> str:
    """HTML-escape `text` (quotes included)."""
    return html.escape(text, quote=True)


def mark(text: str, *, anchor: str | None = None) -> str:
    """`text` escaped and wrapped in a highlighted <mark>."""
    ident = f' id="{esc(anchor)}"' if anchor else ""
    return f'<mark{ident} style="{MARK_STYLE}">{esc(text)}</mark>'


def highlight_span(text: str, start: int, end: int, *, anchor: str | None = None) -> str:
    """`text` escaped, with `text[start:end]` highlighted (offsets clipped to the text)."""
    start = max(0, min(start, len(text)))
    end = max(start, min(end, len(text)))
    if start == end:
        return esc(text)
    return esc(text[:start]) + mark(text[start:end], anchor=anchor) + esc(text[end:])


def highlight_terms(text: str, terms: Iterable[str]) -> str:
    """`text` escaped, with every occurrence of any of `terms` highlighted.

    Longer terms win where terms overlap ("青年干部" over "青年"); adjacent matches
    ("红色" + "驿站") share one highlight.
    """
    uniq = sorted({t for t in terms if t and t.strip()}, key=len, reverse=True)
    if not uniq:
        return esc(text)
    pattern = re.compile("|".join(re.escape(t) for t in uniq))
    spans: list[list[int]] = []
    for m in pattern.finditer(text):
        if spans and spans[-1][1] == m.start():
            spans[-1][1] = m.end()
        else:
            spans.append([m.start(), m.end()])
    out: list[str] = []
    pos = 0
    for s, e in spans:
        out.append(esc(text[pos:s]))
        out.append(mark(text[s:e]))
        pos = e
    out.append(esc(text[pos:]))
    return "".join(out)


def passage(inner_html: str, *, max_height: int | None = None) -> str:
    """A box that keeps the text's line breaks; scrolls when taller than `max_height` px."""
    scroll = f"max-height:{max_height}px;overflow-y:auto;" if max_height else ""
    return (
        f'<div class="kb-passage" style="{PASSAGE_STYLE};{scroll}'
        f'padding:0.6rem 0.9rem;border-left:3px solid #c9302c;background:#fafafa">'
        f"{inner_html}</div>"
    )


def answer_html(answer: str) -> str:
    """The answer text escaped, with its [n] markers set as small superscripts."""
    body = _MARKER.sub(
        r'<sup style="color:#c9302c;font-weight:600">[\1]</sup>', esc(answer)
    )
    return f'<div class="kb-answer" style="{PASSAGE_STYLE}">{body}</div>'


def outline_html(entries: Iterable[tuple[int, str, bool]]) -> str:
    """An indented outline from (level, label, is_current) entries."""
    rows = []
    for level, label, current in entries:
        weight = "font-weight:700;color:#c9302c;" if current else ""
        pad = max(0, level - 1) * 1.2
        rows.append(f'<div style="padding-left:{pad:.1f}em;{weight}line-height:1.7">'
                    f"{esc(label)}</div>")
    return '<div class="kb-outline">' + "".join(rows) + "</div>"


def scroll_script(anchor: str = FOCUS_ID) -> str:
    """A script that scrolls the element with id `anchor` into view (for st.html + JS)."""
    return (
        "<script>setTimeout(function(){var e=document.getElementById("
        f"{anchor!r});if(e){{e.scrollIntoView({{block:'center'}});}}}},300);</script>"
    )


def snippet_span(text: str, terms: Iterable[str], width: int = 160) -> tuple[int, int]:
    """The `width`-character window of `text` holding the most highlighted characters
    (ties: the earliest), widened to the sentence starts/ends nearby."""
    if len(text) <= width:
        return 0, len(text)
    uniq = sorted({t for t in terms if t}, key=len, reverse=True)
    hits = [0] * (len(text) + 1)
    if uniq:
        for m in re.finditer("|".join(re.escape(t) for t in uniq), text):
            for i in range(m.start(), m.end()):
                hits[i] = 1
    best, best_at, run = -1, 0, 0
    prefix = [0]
    for h in hits[: len(text)]:
        prefix.append(prefix[-1] + h)
    for s in range(0, len(text) - width + 1, 10):
        run = prefix[s + width] - prefix[s]
        if run > best:
            best, best_at = run, s
    start, end = best_at, best_at + width
    back = max(text.rfind(p, max(0, start - 40), start + 1) for p in "。；！？\n")
    if back >= 0:
        start = back + 1
    ahead = [i for p in "。；！？\n" if (i := text.find(p, end - 1, end + 40)) >= 0]
    if ahead:
        end = min(ahead) + 1
    return start, min(end, len(text))


def snippet_html(text: str, terms: Iterable[str], width: int = 160) -> str:
    """The snippet around the best match, highlighted, with …… where text was cut."""
    terms = list(terms)
    s, e = snippet_span(text, terms, width)
    body = highlight_terms(text[s:e].strip("\n"), terms)
    return ("……" if s > 0 else "") + body + ("……" if e < len(text) else "")

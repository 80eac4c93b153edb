"""The two sub-questions of a two-part question, each one a question of its own.

Each part is searched and answered alone (answer.compose), so each must carry the
frame the two share: in 「2024年政府工作报告定的经济增长预期目标和赤字率各是多少」 the
second part is 「2024年政府工作报告定的赤字率是多少」, not 「赤字率是多少」; and in
「A和B的党龄要求分别是几年」 both parts keep 「的党龄要求」. A second question that leans on
the first (「两者一样吗」「什么时候截止」) is given the first one's subject.
"""

from __future__ import annotations

import re

ASK_WORD = re.compile(r"是多少|有多少|多少|几[个名人次项条天年月届期点类种级支部段家处回分]?|"
                      r"什么|哪|怎么|怎样|如何|是否|谁|多长|多久|多大|多高")

_YEAR_PAIR = re.compile(r"(?P<a>(?:19|20)\d{2})\s*年(?:度)?\s*(?:和|与|及|、|以及|比)\s*"
                        r"(?P<b>(?:19|20)\d{2})\s*年(?P<du>度)?")
_COMPARE = re.compile(r"^(?:请)?(?:比较|对比)(?:一下)?")
# What says the pair is asked of each: 分别, 各自, 各(是/为/有…), or a difference.
_EACH = re.compile(r"分别|各自|各(?=[是为有要在按安排占需应多几自])|的区别|有何不同|有什么不同"
                   r"|有什么区别")
_DIFFERENCE = re.compile(r"^的?(?:区别|有何不同|有什么不同|有什么区别)")
_AND = re.compile(r"以及|和|与|及")
# Where the first member of the pair begins: after a clause break or one of these words.
_LEFT_STOP = "，,；;：:的对里把"
# Where the second member ends: before 的, a year, or a time word (…国债当年分别安排了多少).
_RIGHT_STOP = re.compile(r"的|[，,；;]|(?:19|20)\d{2}\s*年|当年|每年|每月|全年")
# A second question that cannot stand alone: it refers back, or it is short.
_REFERS_BACK = re.compile(r"^(?:两者|二者|它们?|其|该|这|那|此|每个|每一|上述|以上|前者|后者)")
_SHORT = 16
_TRAILING = re.compile(r"(?:一共|总共|共|一般|通常|是|有|要|在|把|将|对|的|了|都|会|能|可以"
                       r"|分别|各自|每[个组人年月次期届])+$")


def split_parts(q: str) -> tuple[str, ...]:
    """The sub-questions (two, or three when the first of two questions names a pair) of
    a two-part question, or () for a simple one.

    Handles two questions in one (「…多少人？组长任期是几年？」), two years
    (「2023年和2024年…」), 「A和B（的X）分别/各…」 and 「比较A和B的…」.
    """
    asks = [c.strip() for c in re.split(r"[？?]", q) if c.strip()]
    if len(asks) >= 2 and all(ASK_WORD.search(c) or "吗" in c for c in asks[:2]):
        first, second = asks[0] + "？", "？".join(asks[1:]) + "？"
        # 「A和B分别是多长？两者一样吗？」: the pair in the first question is split too.
        return *(_pair(first) or (first,)), _with_subject(second, first)
    m = _YEAR_PAIR.search(q)
    if m:
        rest = q[m.end():]
        each = _EACH.search(rest)
        if each and not _DIFFERENCE.match(each.group()):  # 「…分别是多少」 asked of one year
            rest = rest[:each.start()] + rest[each.end():]

        def one(y: str) -> str:
            return q[: m.start()] + f"{y}年{m.group('du') or ''}" + rest

        return one(m.group("a")), one(m.group("b"))
    return _pair(q)


def _pair(q: str) -> tuple[str, ...]:
    """「P X和Y M 分别 R」 → (P X M R, P Y M R)."""
    compare = _COMPARE.match(q)
    body = q[compare.end():] if compare else q
    each = _EACH.search(body)
    if each is None and not compare:
        return ()
    end = each.start() if each else len(body)
    # The last 和/与 before 分别 joins the pair (an enumeration 「A、B」 when there is none).
    ands = list(_AND.finditer(body, 0, end)) or list(re.finditer("、", body[:end]))
    if not ands:
        return ()
    conj = ands[-1]
    left = max(body.rfind(c, 0, conj.start()) for c in _LEFT_STOP) + 1
    # Both members may hold a 的 (「A法的X和B法的X分别…」): then the 的 is inside them.
    inner = left > 0 and body[left - 1] == "的" and "的" in body[conj.end():end]
    if inner:
        left = max(body.rfind(c, 0, conj.start()) for c in _LEFT_STOP if c != "的") + 1
    x = body[left:conj.start()]
    y_end = _member_end(body, conj.end(), end, x, inner)
    y = body[conj.end():y_end]
    if len(x.strip()) < 2 or len(y.strip()) < 2:
        return ()
    middle = body[y_end:end]
    rest = body[each.end():] if each else ""
    if each and _DIFFERENCE.match(each.group()):
        rest = "有什么规定" + rest
    if compare and not each:
        # 「比较A和B的X」: each part asks what the X of one is.
        rest = rest or "是什么"
    head = body[:left]
    return f"{head}{x}{middle}{rest}", f"{head}{y}{middle}{rest}"


def _member_end(body: str, start: int, end: int, x: str, inner: bool = False) -> int:
    """Where the pair's second member (after 和, before 分别) ends.

    At the first 的, clause break, year or time word, unless what comes before it is
    too short to be the counterpart of `x` (「2025年的考核办法」 is one member); and earlier
    where a member ending like `x` ends (在职党员和离退休党员交纳党费… → 离退休党员).
    """
    stop_at = end
    for stop in _RIGHT_STOP.finditer(body, start, end):
        if inner and stop.group() == "的":
            continue
        if stop.start() - start >= 2 and 2 * (stop.start() - start) > len(x):
            stop_at = stop.start()
            break
    tail = body.rfind(x[-1], start, stop_at) if x else -1
    if tail >= 0 and 2 * (tail + 1 - start) > len(x):
        return tail + 1
    return stop_at


def _with_subject(second: str, first: str) -> str:
    """The second of two questions, given the first one's subject when it leans on it."""
    if not (_REFERS_BACK.match(second) or len(second) <= _SHORT) or "《" in second:
        return second
    m = ASK_WORD.search(first)
    if m is None:
        return second
    subject = re.split(r"[，,；;：:]", first[: m.start()])[0]
    subject = _TRAILING.sub("", subject).strip()
    if len(subject) < 2 or subject in second:
        return second
    return f"{subject}，{second}"

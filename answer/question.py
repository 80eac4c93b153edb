"""Question analysis: what a question asks and the constraints its evidence must meet.

Rule-based and pure. `analyze(question)` gives a `Question` with
- `asks`: number (amount, ratio, count, standard), duration (time limit), list, who,
  when, article (which 第X条), yesno, or "fact";
- the constraints the question sets: years (2024 matches 二〇二四/二○二四 in the text),
  named documents (《全称》, 文号, common short names such as 党章, 二十大报告, 公务员法),
  units and regions (with their short forms: 发改委 = 发展和改革委员会), articles;
- `parts`: the sub-questions of a two-part question (A和B分别…, two years, two units).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from answer.parts import ASK_WORD, split_parts
from core.text.dates import YEAR_RE
from core.text.docno import DOC_NO_RE, normalize_doc_no
from core.text.headings import ARTICLE_RE
from core.text.numerals import cn_to_int
from core.text.titles import TITLE_RE

Asks = str  # "number" | "duration" | "list" | "who" | "when" | "article" | "yesno" | "fact"

_NUMBER = re.compile(r"多少|几[个名人次项条天年月届期点类种级支部段家处回分]|比例|标准|金额|数额|"
                     r"费率|多大|多高|"
                     r"不少于|不低于|不超过|上限|下限|几成|百分之")
_DURATION = re.compile(r"多长时间|多久|期限|时限|几天|几个月|几年|多少天|多少年|任期|有效期|多长")
_LIST = re.compile(r"哪些|哪几|几点|有哪|包括什么|包含什么|内容有|列举|几个方面|哪几个方面")
_WHO = re.compile(r"谁|哪个单位|哪个部门|哪位|由谁|什么人|哪些人")
_WHEN = re.compile(r"什么时候|何时|哪一天|哪年|几月|施行日期|起施行")
# 「从哪一天开始算」 asks when a count starts, even beside 多少年 (入党多少年时，从哪天数).
_WHEN_FROM = re.compile(r"从(?:哪一?[天日年月]|哪个月|什么时候|何时)")
_YESNO = re.compile(r"是否|能否|可否|可不可以|能不能|是不是|有没有|吗[？?]?$")

# A year in Arabic or Chinese digits, followed by 年 (or 年度).
_YEAR = YEAR_RE
# Provinces (not 州/市/县: 广州 is a name, 市级/区县 are no region).
_REGION = re.compile(r"([\u4e00-\u9fff]{2,4}(?:省|自治区))(?![级委])")
_QUOTED = re.compile(r"[“「\"]([^“”「」\"]{2,30})[”」\"]")
_REGION_LEAD = re.compile(
    r"^[\u4e00-\u9fff]*?(?:在|到|从|的|和|与|对|向|给|是|为|去|来|省)(?=[\u4e00-\u9fff]{2})")
# 「一个省」「某个区」「每个市」 point at a region without naming one.
_NO_NAME = re.compile(r"^(?:[一二两三四五六七八九十几每某这那哪各另多]个|某|每|哪)")
_UNIT_LEAD = re.compile(
    r"^(?:比较|对比|在|由|对|向|给|和|与|及|的|是|为|被|把|从|那|这|各|本|该|我|其)+")

# Plain-word names of documents → words their full titles contain (all must be there).
DOC_ALIASES: dict[str, tuple[str, ...]] = {
    "党章": ("中国共产党章程",),
    "宪法": ("宪法",),
    "政府工作报告": ("政府工作报告",),
}
_CONGRESS = re.compile(r"(十[一二三四五六七八九]|二十[一二三]?|[一二三四五六七八九])大报告")
# "XX法" naming a law: 公务员法, 监察法 (not 办法/方法/做法/依法 …, which are ordinary words).
_LAW = re.compile(r"((?:(?![和与及的在对把被是、])[\u4e00-\u9fff]){2,8}?法)"
                  r"(?=第|规定|中|里|对|关于|的|，|,|？|\?|有|是|怎|如何|要求|明确|\s|$)")
_NOT_LAW = re.compile(r"(?:办|方|做|想|说|看|用|写|依|合|违|非|守|执|立|司|普|算|书|手|语|"
                      r"技|疗|兵|章|刑|民|商|税|文|句|佛|魔|戏|笔|作|家|国|政)法$")

@dataclass(frozen=True)
class Question:
    """A question and the constraints its answer must meet."""

    text: str
    asks: Asks = "fact"
    years: tuple[int, ...] = ()
    doc_nos: tuple[str, ...] = ()
    titles: tuple[str, ...] = ()  # 《…》 named in the question
    aliases: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (name as written, title words)
    units: tuple[str, ...] = ()
    articles: tuple[int, ...] = ()
    parts: tuple[str, ...] = field(default=())  # sub-questions; () when it is one question
    focus: tuple[str, ...] = ()  # the words naming what is asked (…党费收缴总额是多少)
    quoted: tuple[str, ...] = ()  # “…” phrases the question quotes
    chapters: tuple[int, ...] = ()  # 第X章 named
    parts_no: tuple[int, ...] = ()  # 第X部分 named
    plain_titles: tuple[str, ...] = ()  # a title named without 《》 before 第X条 (…办法第三条)
    measure: str = ""  # the measure word of the asked figure (多少人 → 人)
    interrogative: bool = True  # False for a topic query (社保断缴与补缴) with no question word
    levels: tuple[str, ...] = ()  # grades/levels the question names: 五星级, 第三档, “一般”

    @property
    def names_document(self) -> bool:
        return bool(self.doc_nos or self.titles or self.aliases)


# 「吃多少打多少」「用多少取多少」: a saying about amounts, not a question about one.
_AMOUNT_SAYING = re.compile(r"[\u4e00-\u9fff]多少[\u4e00-\u9fff]多少")


def asked(q: str) -> Asks:
    """What kind of answer the question wants (first matching rule wins)."""
    q = _AMOUNT_SAYING.sub("", q)
    if _LIST.search(q):
        return "list"
    if _WHEN_FROM.search(q):
        return "when"
    if _DURATION.search(q):
        return "duration"
    if _NUMBER.search(q):
        return "number"
    if _WHO.search(q):
        return "who"
    if _WHEN.search(q):
        return "when"
    if re.search(r"第几条|哪一条|哪条", q):
        return "article"
    if _YESNO.search(q):
        return "yesno"
    return "fact"


def years(q: str) -> tuple[int, ...]:
    """Years the question names (2024年, 二〇二四年), in order."""
    out = []
    for m in _YEAR.finditer(q):
        try:
            out.append(cn_to_int(m.group(1)))
        except KeyError:
            continue
    return tuple(dict.fromkeys(out))


def year_pattern(year: int) -> re.Pattern[str]:
    """How a text writes a year: 2024 or 二〇二四 / 二○二四 / 二零二四."""
    digits = "零一二三四五六七八九"
    cn = "".join("[〇○零]" if d == "0" else digits[int(d)] for d in str(year))
    return re.compile(rf"{year}|{cn}")


def doc_aliases(q: str) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Documents named in plain words, with the words their titles must contain."""
    out: list[tuple[str, tuple[str, ...]]] = []
    stripped = TITLE_RE.sub(" ", q)
    for name, words in DOC_ALIASES.items():
        if name in stripped:
            out.append((name, words))
    for m in _CONGRESS.finditer(stripped):
        n = m.group(1)
        out.append((m.group(0), (f"第{n}次全国代表大会", "报告")))
    for m in _LAW.finditer(stripped):
        name = m.group(1)
        # Keep the law's own name: drop a leading verb/preposition (根据公务员法 → 公务员法).
        name = re.sub(r"^(?:根据|按照|依照|依据|对照|关于|在|按|据)", "", name)
        name = re.split(r"报告|章程|条例|规定|办法", name)[-1]
        if len(name) >= 3 and not _NOT_LAW.search(name) and not name.endswith("办法"):
            out.append((name, (name,)))
    return tuple(dict.fromkeys(out))


_DISTRICT = re.compile(r"^[\u4e00-\u9fff]{2,4}[区县市]$")
_UNIT_TOKEN = re.compile(r"^[\u4e00-\u9fff]{2,8}(?:局|委|馆|院|厅|署|中心|办公室)$")
# Words that end like a unit but name none (every organ has them).
_GENERIC_UNITS = frozenset({"机关党委", "党委", "工委", "纪委", "委员会", "中心", "办公室",
                            "支部委员会", "机关纪委", "人民法院", "人民检察院", "研究院",
                            "党支部委员会", "居委", "村委", "本局", "该局", "各局",
                            "开发区", "自治区", "示范区", "功能区", "新城区", "老城区", "风景区",
                            "试验区", "保护区", "各区县", "市辖区", "中心城区", "机关工委",
                            "关工委", "市级机关工委", "城市", "全市", "本市", "该市", "各市",
                            "超市", "股市", "县级市", "地级市", "直辖市", "省会城市"})


_ORGAN_AFTER = r"[\u4e00-\u9fff]{0,8}(?:人民政府办公室|人民政府|办公室|委员会|局|厅|委|部)"


def _joined_organs(q: str, tokens: tuple[str, ...]) -> list[str]:
    """A region word and the organ named right after it, as one name: 普陀区 + 人民政府办公室
    → 普陀区人民政府办公室 (each word alone says less than the whole)."""
    out = []
    for region in dict.fromkeys(t for t in tokens if _DISTRICT.match(t)):
        for m in re.finditer(re.escape(region) + _ORGAN_AFTER, q):
            name = m.group(0)
            if name != region and not re.search(r"[各等和的及与对在是]", name[len(region):]):
                out.append(name)
    return out


# Words the tokenizer glues a city's 市 to (洛阳 + 市政府); not 市级, 市场, 市民.
_CITY_ORGANS = frozenset({"市政府", "市委", "市人民政府", "市人大", "市政协"})
# A word with one of these is no part of a unit's name (工委对市体育局: 对).
_NOT_IN_NAME = re.compile(r"[对在和的与向给由把被从及或等是为了各每该本其]")


def _split_districts(q: str, tokens: tuple[str, ...]) -> list[str]:
    """A district, county or city the tokenizer cut in two: a 2-3 character name right
    before 区/县 (临江 + 区), or before a city organ (洛阳 + 市政府, `_CITY_ORGANS`), joined
    back (社区, 园区 stay whole words, so they never get here)."""
    out = []
    for a, b in zip(tokens, tokens[1:]):
        if not re.fullmatch(r"[\u4e00-\u9fff]{2,3}", a) or a[0] in "各每全本该哪这那其某":
            continue  # 每个区, 哪个县 name none
        if b in ("区", "县") and a + b in q:
            out.append(a + b)
        elif any(a + o in q for o in _CITY_ORGANS):
            out.append(a + "市")
    return out


def _whole_name(q: str, unit: str, tokens: tuple[str, ...]) -> str:
    """A unit with the words the tokenizer cut off its front: 事务局 in 「示例市退役军人事务局」
    is 退役军人事务局 (else 事务局 would be met by 机关事务管理局). Words are taken while
    they tile the question right before it; a region (示例市), a year or a one-character
    word ends the name."""
    at = q.find(unit)
    if at < 0:
        return unit
    words = {t for t in tokens if len(t) >= 2 and re.fullmatch(r"[\u4e00-\u9fff]+", t)
             and not _DISTRICT.match(t) and not t.endswith(("年", "月", "省"))
             and not _NOT_IN_NAME.search(t) and t not in _GENERIC_UNITS}
    start = at
    while at - start < 8:
        before = [t for t in words if q.endswith(t, 0, start)]
        if not before:
            break
        start -= len(max(before, key=len))
    return q[start:at] + unit


def units(q: str, tokens: tuple[str, ...] = ()) -> tuple[str, ...]:
    """Units, organs and regions the question names (示例市财政局, 发改委, 四川省).

    Units come from the question's words (`tokens`, as the index's tokenizer cuts them),
    so a phrase such as 「召开一次支部委员会」 is never taken for a unit.
    """
    found = [_whole_name(q, t, tokens) if _UNIT_TOKEN.match(t) else t for t in tokens
             if (_UNIT_TOKEN.match(t) or _DISTRICT.match(t)) and t not in _GENERIC_UNITS]
    found += _split_districts(q, tokens)
    found += _joined_organs(q, tokens)
    found += [_REGION_LEAD.sub("", m.group(1)) for m in _REGION.finditer(TITLE_RE.sub(" ", q))]
    out = []
    for u in found:
        u = _UNIT_LEAD.sub("", u)
        if (len(u) >= 3 and u not in _GENERIC_UNITS and not re.search(r"[的了是]", u)
                and not _NO_NAME.match(u)):
            out.append(u)
    return tuple(dict.fromkeys(out))


def unit_pattern(unit: str) -> re.Pattern[str]:
    """How a document mentions a unit: verbatim, or its full name for a short form, the
    characters in order with a few between (发改委 → 发展和改革委员会, 科技局 → 科学技术局)."""
    return re.compile(".{0,3}".join(map(re.escape, unit)))


_LEVEL = re.compile(r"[一二三四五六七八九十\dA-Z]+(?:星级|星|级|档|等次|等|类)"
                    r"|“[^”]{1,6}”(?:等次|级|类)")


def focus(q: str, tokens: tuple[str, ...]) -> tuple[str, ...]:
    """The (at most two) words right before the question word, in the same clause:
    what a figure must be about (「…党费收缴总额是多少元」 → 收缴, 总额)."""
    m = ASK_WORD.search(q)
    if not m:
        return ()
    clause = re.split(r"[，,；;：:]", q[: m.start()])[-1]
    inside = [t for t in tokens if len(t) >= 2 and t in clause and not t.isdigit()
              and not _YEAR.search(t + "年")]
    # The last words before the question word, longest first when one contains another.
    last = sorted(inside, key=lambda t: clause.rfind(t) + len(t), reverse=True)[:3]
    out: list[str] = []
    for t in last:
        if not any(t in o or o in t for o in out):
            out.append(t)
    return tuple(out[:2])


# 「最低一档」「上一级」「每一类」 point at a tier without naming it; the text writes the
# tier itself (（一）…3000元以下的), not the word 一档.
_UNNAMED_LEVEL = re.compile(r"[最哪每这那同上下高低其]一$")


def levels(q: str) -> tuple[str, ...]:
    """Grades and levels the question names (五星级, 三类, “一般”等次)."""
    return tuple(dict.fromkeys(m.group(0) for m in _LEVEL.finditer(q)
                               if not _UNNAMED_LEVEL.search(q, 0, m.start() + 1)))


_CHAPTER = re.compile(r"第([零〇一二两三四五六七八九十百\d]+)章")
_PART_NO = re.compile(r"第([一二三四五六七八九十\d]+)部分")
_PLAIN_TITLE = re.compile(r"([\u4e00-\u9fff（）()]{4,40}?(?:办法|规定|条例|细则|方案|意见|准则|"
                          r"规则|制度|规范|指引))第[零〇一二两三四五六七八九十百千\d]+[条章]")
# The measure word after 多少/几, and the words a text may write it with.
MEASURES: dict[str, tuple[str, ...]] = {
    "人": ("人", "名", "位"), "名": ("人", "名", "位"), "位": ("人", "名", "位"),
    "份": ("份",), "元": ("元",), "钱": ("元",), "万元": ("万元", "元"), "次": ("次", "回"),
    "天": ("天", "日", "个工作日"), "个工作日": ("个工作日", "日", "天"), "年": ("年",),
    "个月": ("个月", "月"), "周": ("周", "星期"), "小时": ("小时",), "学时": ("学时",),
    "户": ("户",), "件": ("件",), "期": ("期",), "家": ("家",), "篇": ("篇",), "本": ("本",),
    "部": ("部",), "所": ("所",), "套": ("套",), "岁": ("岁",), "分": ("分",),
}
_MEASURE = re.compile(r"(?:多少|几)(个工作日|万元|个月|学时|小时|"
                      r"[人名位份元钱次天年周户件期家篇本部所套岁分])")


# What kind of figure answers 「多少比例」「多少钱」 when no measure word follows 多少.
FIGURE_KINDS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"比例|百分之|费率|增长多少|增幅|降幅|占比|多少成"),
     r"%|‰|分之|[一二三四五六七八九]成|倍"),
    (re.compile(r"多少钱|金额|费用|经费|资金|价格|多少元"), r"元"),
    # How much one borrows, is paid or fined is money: 公积金最高能贷多少 is not answered
    # by a head count. Not 「工资的多少」 (a share of it), nor 多少人/多少天 (their measure).
    (re.compile(r"(?:贷|借|报销|罚款|补贴|补助|奖励|奖金|工资|薪酬|收费|缴费|赔偿)"
                r"[^，。？?、；]{0,6}(?<!的)多少(?![人名个位次天年月日件份项家户条期批台辆所套间岁分])"),
     r"元"),
)


def figure_kind(q: str) -> str:
    """A pattern the answering figure must match (% for a ratio, 元 for money), or ""."""
    for ask, figure in FIGURE_KINDS:
        if ask.search(q):
            return figure
    return ""


def measure(q: str) -> str:
    """The measure word of the figure asked for (多少人 → 人, 几个工作日 → 个工作日)."""
    m = _MEASURE.search(q)
    return m.group(1) if m else ""


# Words that frame a question rather than say what it is about: any rule text shares them,
# so sharing one of them is no support (报考公务员需要满足什么学历条件 shares only 学历 with a
# rule on 学历教育 once 需要/满足 stop counting).
FRAME_WORDS = frozenset(
    "需要 满足 应该 应当 可以 一般 具体 分别 规定 要求 哪里 几点 一共 几个 几名 几天 多长 "
    "怎么样 情况 能够 必须 主要 相关 有关 还是 或者 以及 时候 多久 多大".split())


def content_words(tokens: Iterable[str]) -> tuple[str, ...]:
    """The question's words that say what it is about: two or more characters, no frame
    word, and none inside a longer word of the question (jieba also cuts 所得税 and 所得 out
    of 个人所得税; one word of the question must count once)."""
    words = [t for t in dict.fromkeys(tokens) if len(t) >= 2 and t not in FRAME_WORDS]
    return tuple(w for w in words if not any(w != o and w in o for o in words))


def analyze(q: str, tokens: tuple[str, ...] = ()) -> Question:
    """The analysis of a (normalised) question; `tokens` are its words as the index cuts them."""
    doc_nos = tuple(dict.fromkeys(normalize_doc_no(m.group(0)) for m in DOC_NO_RE.finditer(q)))
    titles = tuple(m.group(1) for m in TITLE_RE.finditer(q))
    arts = tuple(n for m in ARTICLE_RE.finditer(q) if (n := cn_to_int(m.group(1))))
    return Question(text=q, asks=asked(q), years=years(q), doc_nos=doc_nos, titles=titles,
                    aliases=doc_aliases(q), units=units(q, tokens), articles=arts,
                    parts=split_parts(q), focus=focus(q, tokens), levels=levels(q),
                    quoted=tuple(m.group(1) for m in _QUOTED.finditer(q)),
                    interrogative=bool(ASK_WORD.search(q) or re.search(r"[吗呢？?]", q)),
                    chapters=tuple(cn_to_int(m.group(1)) for m in _CHAPTER.finditer(q)),
                    parts_no=tuple(cn_to_int(m.group(1)) for m in _PART_NO.finditer(q)),
                    plain_titles=tuple(m.group(1)
                                       for m in _PLAIN_TITLE.finditer(TITLE_RE.sub("", q))),
                    measure=measure(q))

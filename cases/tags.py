"""Theme tags of a case and the organ a unit belongs to.

Tags come from a fixed vocabulary of the themes 《新风》 issues are planned around
(the 本期主题 lines of the sample issues and the kinds of cases the editors collect);
a tag is given when its words recur in the case, so a passing mention does not tag it.
"""

from __future__ import annotations

import re

# tag -> words that signal it. Ordered as editors think of themes, broad ones last.
THEME_WORDS: dict[str, tuple[str, ...]] = {
    "支部建设": ("支部工作法", "支部建设", "支部书记", "支部委员会", "星级", "标准化"),
    "组织生活": ("组织生活", "批评与自我批评", "主题党日", "三会一课", "民主评议"),
    "党建业务融合": ("党建和业务", "党建业务融合", "两张皮", "中心工作", "党建引领", "融合"),
    "清廉机关": ("廉政", "廉洁", "清廉", "八项规定", "以案促改", "廉政风险"),
    "作风建设": ("作风",),
    "基层减负": ("减负", "填表", "迎检", "文山会海", "精文简会", "督检考", "报表"),
    "青年干部": ("青年干部", "年轻干部", "新入职", "青年党员", "导师"),
    "党员教育": ("党员教育", "党课", "讲堂", "现场教学", "积分", "培训"),
    "红色资源": ("红色", "革命", "党史", "档案", "博物馆", "纪念馆"),
    "服务企业": ("企业", "营商环境", "融资"),
    "数字赋能": ("数据", "数字", "信息化", "系统", "平台"),
    "志愿服务": ("志愿",),
    "离退休党员": ("离退休", "老党员"),
    "联系服务群众": ("群众", "窗口", "社区", "热线", "居民"),
}
_MIN_HITS = 4  # occurrences in the body for a tag (or one in the title)
_MAX_TAGS = 4


def theme_tags(title: str, body: str) -> tuple[str, ...]:
    """The vocabulary tags a case carries, strongest first."""
    scored = []
    for i, (tag, words) in enumerate(THEME_WORDS.items()):
        hits = sum(body.count(w) for w in words)
        in_title = any(w in title for w in words)
        if in_title or hits >= _MIN_HITS:
            scored.append((-(hits + 10 * in_title), i, tag))
    return tuple(tag for *_, tag in sorted(scored)[:_MAX_TAGS])


def matching_tags(query: str) -> tuple[str, ...]:
    """Vocabulary tags a theme or a description names (by the tag or one of its words)."""
    return tuple(tag for tag, words in THEME_WORDS.items()
                 if tag in query or any(w in query for w in words))


# The organ is the unit's name up to its first organ word: 示例市财政局机关党委 and
# 中共示例市财政局机关委员会 are both 示例市财政局.
_ORGAN_RE = re.compile(r"^(?:中共|中国共产党)?(.+?(?:委员会|办公室|办公厅|管理局|中心|"
                       r"局|厅|馆|院|校|部|委|办|所|站|队))")


def organ_of(unit: str) -> str:
    """The organ a unit belongs to, for telling units apart (the unit itself otherwise)."""
    unit = unit.strip()
    m = _ORGAN_RE.match(unit)
    return m.group(1) if m else unit


def is_organ(name: str) -> bool:
    """True when a name reads like an organ or unit (it contains an organ word)."""
    return bool(_ORGAN_RE.match(name.strip()))

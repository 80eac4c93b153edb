"""Short forms of organ, meeting and programme names, and the full forms texts use.

People ask about 人大常委会, 低保 and 长护险; laws and measures write 人民代表大会常务委员会,
最低生活保障 and 长期护理保险. A query gets each full form beside its short form, so BM25
and the vectors both see the words the text uses (「人大常委会」 →
「人大（人民代表大会）常委会（常务委员会）」). Only short forms with one reading in
government writing are listed: 人大 is also a university, but not in an organ's files;
医保 is left out (医疗保险 or 医疗保障: adding one pulled in the other's passages).
"""

from __future__ import annotations

import re

FULL_FORMS: dict[str, str] = {
    "人大": "人民代表大会",
    "常委会": "常务委员会",
    "政协": "政治协商会议",
    "纪委": "纪律检查委员会",
    "监委": "监察委员会",
    "全会": "全体会议",
    "支委会": "支部委员会",
    "党代会": "党的代表大会",
    "公租房": "公共租赁住房",
    "低保": "最低生活保障",
    "社保": "社会保险",
    "长护险": "长期护理保险",
    "人社局": "人力资源和社会保障局",
    "发改委": "发展和改革委员会",
    "国资委": "国有资产监督管理委员会",
    "网信办": "网络安全和信息化委员会办公室",
    "编办": "机构编制委员会办公室",
    "十八大": "第十八次全国代表大会",
    "十九大": "第十九次全国代表大会",
    "二十大": "第二十次全国代表大会",
}
_SHORT = re.compile("|".join(sorted(map(re.escape, FULL_FORMS), key=len, reverse=True)))


def with_full_forms(text: str) -> str:
    """`text` with 「（全称）」 after each short form whose full form it does not contain."""
    def add(m: re.Match[str]) -> str:
        full = FULL_FORMS[m.group()]
        return m.group() if full in text else f"{m.group()}（{full}）"

    return _SHORT.sub(add, text)

"""Titles a drafter can cite: no file-name suffixes, site names, style names or ids."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.errors import LoadError
from ingest.files import build_document
from ingest.loaders import is_sidecar, supported_suffixes
from ingest.metadata import clean_title, extract_metadata, title_version

ROOT = Path(__file__).resolve().parents[1]
JUNK = re.compile(
    r"^[-—_=*·.\s]+$|Word文档|^doc_\d+$|^[0-9a-f]{12,}$|_\d{4}修改|_DERIVED|^\d{1,3}_|^ccgp_|"
    r"_(?:先锋文汇|共产党员网|央广网|腾讯新闻)|-光明网|门户网站$|规\d{4}-\d+号$")


@pytest.mark.parametrize(("raw", "clean"), [
    ("中国共产党章程_2017修改", "中国共产党章程"),
    ("11_公共租赁住房保障办法_穗府办规2024-13号", "公共租赁住房保障办法"),
    ("ccgp_【中央】国采中心：开创集采事业发展新局面", "国采中心：开创集采事业发展新局面"),
    ("在博物馆里上好“大思政课”-光明日报-光明网", "在博物馆里上好“大思政课”"),
    ("百年接力，党旗映照清华园 - 中华人民共和国教育部政府门户网站", "百年接力，党旗映照清华园"),
    ("示例市级机关党费收缴使用和管理规定", "示例市级机关党费收缴使用和管理规定"),
])
def test_clean_title(raw, clean):
    assert clean_title(raw) == clean


def test_version_kept_as_metadata_and_untitled_marked():
    assert title_version("中国共产党章程_2017修改") == "2017修改"
    meta = extract_metadata("党员的权利\n党员有下列权利。", "party/中国共产党章程_2017修改.txt")
    assert meta.version == "2017修改"
    meta = extract_metadata("怎么申领社会保障卡？先登录公众号。", "gz/doc_23.txt")
    assert meta.title.startswith("（无标题）") and "doc_23" not in meta.title


def test_organ_line_joins_the_rest_of_the_title():
    meta = extract_metadata("上海市普陀区财政局\n2024年度部门决算\n目录\n一、部门职责",
                            "x.pdf")
    assert meta.title == "上海市普陀区财政局2024年度部门决算"


def _files(folder: Path) -> list[Path]:
    suffixes = set(supported_suffixes())
    return [f for f in sorted(folder.rglob("*")) if f.is_file() and f.suffix.lower() in suffixes
            and not is_sidecar(f) and not f.name.endswith(".expected.txt")
            and f.name != "README.md"]


@pytest.mark.slow
@pytest.mark.parametrize("where", ["corpus", "realdocs"])
def test_no_junk_title_in_any_file(where, request):
    folder = ROOT / "corpus" if where == "corpus" else request.getfixturevalue("realdocs")
    bad = []
    for f in _files(folder):
        try:
            title = build_document(f, "x").meta.title
        except LoadError:
            continue
        if JUNK.search(title) or not title.strip():
            bad.append((f.name, title))
    assert not bad, bad

"""Three small fictional documents and an index built from them, for the app tests."""

from __future__ import annotations

from pathlib import Path

POLICY = """示例市机关党支部标准化建设实施办法
示机工发〔2024〕5号

第一章　总则

第一条　为推进机关党支部标准化规范化建设，结合示例市实际，制定本办法。

第二条　本办法适用于示例市直机关各级党支部。

第二章　组织生活

第三条　党支部应当每月召开一次支部委员会会议，每季度召开一次党员大会。

第四条　党支部每年至少开展一次组织生活会和民主评议党员。

第三章　附则

第五条　本办法自2024年3月1日起施行。

中共示例市委市直机关工作委员会
2024年2月18日
"""

SPEECH = """在示例市直机关作风建设推进会上的讲话
（2023年9月12日）
示例市委常委、组织部部长　李明华

同志们：

今天召开作风建设推进会，主要任务是总结前一阶段工作，部署下一步任务。

一是要深化调查研究。各级领导干部每年到基层调研不少于30天，形成高质量调研报告。

二是要改进会风文风。严格控制会议数量和规模，坚决纠治文山会海。
"""

CASE = """“红色驿站”让党员服务零距离
示例市交通运输局机关党委

一、背景

示例市交通运输局共有党员两百余名，分布在城区各个客运站点。

二、做法

机关党委在城区客运站设立“红色驿站”，党员轮流值守，为旅客提供咨询、应急和帮扶服务。

三、成效

一年来累计服务旅客三万余人次，收到群众表扬信五十多封。
"""

QUESTION = "党支部多久召开一次支部委员会会议？"
QUOTE_PART = "党支部应当每月召开一次支部委员会会议"
POLICY_TITLE = "示例市机关党支部标准化建设实施办法"
REFERENCE_PART = "《示例市机关党支部标准化建设实施办法》（示机工发〔2024〕5号）"


def write_docs(folder: Path) -> Path:
    """Write the three documents as UTF-8 .txt files into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "zhibu_banfa.txt").write_text(POLICY, encoding="utf-8")
    (folder / "zuofeng_jianghua.txt").write_text(SPEECH, encoding="utf-8")
    (folder / "hongse_yizhan.txt").write_text(CASE, encoding="utf-8")
    return folder


def build_index(root: Path, embedder=None, model: str = "hash") -> Path:
    """Ingest the documents into a fresh index at `root / "index"`; returns the index dir.

    `model` is the embedding model the index records (the app must be started with the
    same KB_EMBED_MODEL); the default is the fake "hash" embedder.
    """
    from core.config import load_config
    from service.wiring import run_ingest

    index_dir = root / "index"
    report = run_ingest(load_config({"KB_EMBED_MODEL": model}, index_dir=index_dir),
                        [write_docs(root / "docs")],
                        progress=False, embedder=embedder)
    assert len(report.added) == 3, report
    return index_dir

"""The `kb` command line contract, run as real subprocesses."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HIT_FIELDS = {"rank", "score", "chunk_id", "doc_id", "title", "doc_type", "source", "section",
              "status", "superseded_by", "ocr",
              "page", "start", "end", "text"}


def kb(*args: str, stdin: str | None = None, env: dict | None = None):
    e = {**os.environ, "HF_HUB_OFFLINE": "1", "KB_EMBED_MODEL": "hash", **(env or {})}
    return subprocess.run([sys.executable, "-m", "cli", *args], input=stdin, cwd=ROOT,
                          capture_output=True, text=True, env=e, timeout=300)


@pytest.fixture(scope="module")
def cli_corpus(tmp_path_factory) -> Path:
    from tests.conftest import MEASURE, SPEECH

    d = tmp_path_factory.mktemp("cli") / "docs"
    d.mkdir()
    (d / "peixun_banfa.txt").write_text(MEASURE, encoding="utf-8")
    (d / "qingnian_jianghua.txt").write_bytes(SPEECH.encode("gbk"))
    return d


@pytest.fixture(scope="module")
def built(cli_corpus):
    """One index for the module's read-only CLI tests (ingested by the CLI itself)."""
    idx = cli_corpus.parent / "idx"
    p = kb("ingest", str(cli_corpus), "--index", str(idx), "--no-progress")
    assert p.returncode == 0, p.stderr
    assert "新增 2" in p.stdout
    return idx


@pytest.mark.slow  # runs `kb` in subprocesses
def test_search_json_contract(built):
    p = kb("search", "党务干部集中培训学时", "--index", str(built), "-k", "2", "--json")
    assert p.returncode == 0, p.stderr
    hits = json.loads(p.stdout)
    assert 1 <= len(hits) <= 2 and set(hits[0]) == HIT_FIELDS
    assert hits[0]["rank"] == 1 and hits[0]["page"] is None
    assert hits[0]["source"].endswith("peixun_banfa.txt")


@pytest.mark.slow  # runs `kb` in subprocesses
def test_search_stdin_jsonl_in_order(built):
    p = kb("search", "-", "--index", str(built), "-k", "1",
           stdin="青年干部社区报到\n\n示机工发〔2023〕12号 第四条\n")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.strip().split("\n")
    assert len(lines) == 3
    first, empty, third = (json.loads(x) for x in lines)
    assert "社区报到" in first[0]["text"] and empty == []
    assert "岗前培训" in third[0]["text"]


@pytest.mark.slow  # runs `kb` in subprocesses
def test_index_from_env_and_human_output_highlights(built):
    p = kb("search", "岗前培训", "--color", "always", env={"KB_INDEX": str(built)})
    assert p.returncode == 0, p.stderr
    assert "《示例市级机关党务干部培训管理办法》" in p.stdout
    assert "\x1b[1;33m岗前\x1b[0m" in p.stdout or "\x1b[1;33m岗前培训\x1b[0m" in p.stdout


@pytest.mark.slow  # runs `kb` in subprocesses
def test_reingest_noop_and_errors_are_one_line(built, cli_corpus, tmp_path):
    p = kb("ingest", str(cli_corpus), "--index", str(built), "--no-progress")
    assert "新增 0" in p.stdout and "未变 2" in p.stdout
    p = kb("search", "x", "--index", str(tmp_path / "none"))
    assert p.returncode == 2 and p.stderr.count("\n") == 1 and "kb ingest" in p.stderr
    p = kb("search", "x", "--index", str(built), env={"KB_EMBED_MODEL": "/nowhere/model"})
    assert p.returncode == 2 and "hash/bigram-384" in p.stderr and "Traceback" not in p.stderr


@pytest.mark.slow  # runs `kb` in subprocesses
def test_ask_json_contract(built):
    p = kb("ask", "党务干部每年参加集中培训不少于多少学时", "--index", str(built), "--json")
    assert p.returncode == 0, p.stderr
    a = json.loads(p.stdout)
    assert set(a) >= {"question", "answer", "refused", "citations"}
    assert not a["refused"] and "[1]" in a["answer"]
    c = a["citations"][0]
    assert set(c) >= {"n", "quote", "source", "title", "section", "page", "start", "end",
                      "reference"}
    assert "40学时" in c["quote"]
    assert c["reference"] == "《示例市级机关党务干部培训管理办法》（示机工发〔2023〕12号）第三条"
    from core.text.normalize import normalize_text

    text, _ = normalize_text(Path(c["source"]).read_text(encoding="utf-8"))
    assert text[c["start"]:c["end"]] == c["quote"]


@pytest.mark.parametrize(("argv", "says"), [
    (["search", "  "], "问句为空"),
    (["ask", ""], "问句为空"),
    (["search", "学时", "-k", "0"], "-k 应为正整数"),
    (["search", "学时", "--type", "通知"], "未知的文档类型 '通知'"),
    (["ingest", "/no/such/folder"], "路径不存在：/no/such/folder"),
    (["search", "学时", "-k", "abc"], "应为整数"),
    (["search", "学时", "--mode", "fuzzy"], "--mode 的取值 'fuzzy' 无效"),
    (["frobnicate"], "无效的命令 'frobnicate'"),
    (["search"], "缺少参数"),
])
def test_cli_mistakes_exit_2_with_one_chinese_line(argv, says, capsys, tmp_path):
    from cli.main import main

    try:
        code = main([*argv, *(["--index", str(tmp_path)] if argv[0] in ("search", "ask") and
                               len(argv) > 1 else [])])
    except SystemExit as exc:  # argparse's own checks
        code = exc.code
    err = capsys.readouterr().err
    assert code == 2 and says in err, err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_missing_index_is_one_chinese_line(capsys, tmp_path):
    from cli.main import main

    assert main(["search", "学时", "--index", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err
    assert "索引不存在" in err and "kb ingest" in err and err.count("\n") == 1


@pytest.mark.slow  # runs `kb` in subprocesses
def test_type_accepts_chinese_labels(built, capsys, monkeypatch):
    from cli.main import main

    monkeypatch.setenv("KB_EMBED_MODEL", "hash")

    def hits(doc_type: str) -> str:
        assert main(["search", "学时", "--index", str(built), "--type", doc_type, "--json"]) == 0
        return capsys.readouterr().out

    assert hits("other") == hits("其他")
    policy = hits("制度文件")
    assert policy == hits("policy")
    assert json.loads(policy) and {h["doc_type"] for h in json.loads(policy)} == {"policy"}


def test_help_is_chinese():
    from cli.main import build_parser

    text = build_parser().format_help()
    assert text.startswith("用法：kb") and "显示本帮助并退出" in text and "usage" not in text
    sub = kb("search", "--help")
    assert sub.returncode == 0 and "返回条数" in sub.stdout and "文档类型" in sub.stdout

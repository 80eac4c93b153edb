"""Names and links: every entry that is not read is named with a reason, names are printed
safely (one line, no terminal escapes), titles carry no control characters, links leaving
a folder are not followed unless asked."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from cli.main import main
from ingest.files import discover, printable, strip_controls
from tests.conftest import FAKE_ENV

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tools"))
from hostile_files import GOOD_TEXT, SMALL_LIMITS, write_hostile  # noqa: E402


def test_printable_and_strip_controls():
    assert printable("a\nb") == "a\\nb" and printable("\x1b[2J") == "\\x1b[2J"
    assert printable("\u202etxt.exe") == "\\u202etxt.exe"
    assert printable(os.fsdecode(b"bad\xff.txt")) == "bad\\udcff.txt"
    assert printable("通知（二〇二四）.docx") == "通知（二〇二四）.docx"
    assert strip_controls("标题\n\x1b[2J清屏") == "标题 [2J清屏"


def test_links_fifos_and_loops_are_named(tmp_path):
    d = tmp_path / "docs"
    d.mkdir()
    (d / "a.txt").write_text(GOOD_TEXT, encoding="utf-8")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "o.txt").write_text(GOOD_TEXT, encoding="utf-8")
    (d / "to_outside.txt").symlink_to(outside / "o.txt")
    (d / "to_outside_dir").symlink_to(outside)
    (d / "to_inside.txt").symlink_to(d / "a.txt")
    (d / "loop").symlink_to(d / "loop")
    (d / "up").symlink_to(tmp_path)  # a folder link that contains the folder itself
    os.mkfifo(d / "fifo.txt")
    files, refused, roots = discover([d])
    assert files == [d / "a.txt"] and roots == [d.resolve()]
    why = {Path(p).name: r for p, r in refused}
    assert set(why) == {"to_outside.txt", "to_outside_dir", "to_inside.txt", "loop", "up",
                        "fifo.txt"}
    assert "未跟随" in why["to_outside.txt"] and "--follow-links" in why["to_outside_dir"]
    assert "本文件夹内的 a.txt" in why["to_inside.txt"] and "循环" in why["loop"]
    assert "命名管道" in why["fifo.txt"]
    files, refused, _ = discover([d], follow_links=True)
    # Followed, each real file once: o.txt is reached by two links, and `up` leads back
    # into the folder itself; what is not read again is named.
    assert sorted(os.path.realpath(f) for f in files) == sorted(
        os.path.realpath(p) for p in (d / "a.txt", outside / "o.txt"))
    why = {p: r for p, r in refused}
    assert "经符号链接再次到达" in why[str(d / "up" / "docs")]
    assert any("是同一个文件" in r for r in why.values())
    assert {Path(p).name for p in why} >= {"loop", "fifo.txt", "to_inside.txt"}


def test_named_broken_links_and_fifos(tmp_path):
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    (tmp_path / "gone.txt").symlink_to(tmp_path / "nothing.txt")
    os.mkfifo(tmp_path / "p.txt")
    files, refused, _ = discover([tmp_path / "loop", tmp_path / "gone.txt", tmp_path / "p.txt",
                                  tmp_path / "absent.txt"])
    assert not files
    why = dict(refused)
    assert "循环" in why[str(tmp_path / "loop")]
    assert "不存在" in why[str(tmp_path / "gone.txt")]
    assert "命名管道" in why[str(tmp_path / "p.txt")]
    assert why[str(tmp_path / "absent.txt")] == "no such file or folder"


def test_cli_prints_each_skipped_file_on_one_safe_line(tmp_path, monkeypatch, capsys):
    folder = tmp_path / "hostile"
    expect = write_hostile(folder, small=True)
    for k, v in {**FAKE_ENV, **SMALL_LIMITS}.items():
        monkeypatch.setenv(k, v)
    assert main(["ingest", str(folder), "--index", str(tmp_path / "idx"), "--no-progress"]) == 0
    err = capsys.readouterr().err
    lines = err.strip().split("\n")
    assert all(ln.startswith("跳过 ") for ln in lines), lines
    assert len(lines) == sum(e == "skip" for e in expect.values())
    assert "\x1b" not in err and "\u202e" not in err
    assert main(["search", "清屏名称通知", "--index", str(tmp_path / "idx"), "--mode", "bm25",
                 "-k", "1"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "hostile/\\x1b[2J清屏.txt" in out


@pytest.mark.parametrize("bad", ["loop", "gone"])
def test_cli_names_a_broken_link_given_as_a_path(tmp_path, monkeypatch, capsys, bad):
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    (tmp_path / "gone").symlink_to(tmp_path / "nothing")
    monkeypatch.setenv("KB_EMBED_MODEL", "hash")
    assert main(["ingest", str(tmp_path / bad), "--index", str(tmp_path / "idx"),
                 "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert err.startswith(f"跳过 {tmp_path / bad}: 符号链接") and err.count("\n") == 1

"""The README's examples (the block after `<!-- readme-examples -->`) run on the shipped
corpus: each exits 0 and prints something; searches find something relevant."""

from __future__ import annotations

import os
import re
import subprocess
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow  # ingests corpus/ and runs `kb` a dozen times


def readme_examples() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"<!-- readme-examples -->\n```bash\n(.*?)```", text, re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_readme_examples_run_on_the_shipped_corpus(tmp_path):
    lines = readme_examples()
    assert lines[0].startswith(".venv/bin/kb ingest corpus/") and len(lines) >= 10
    # Run from a folder that looks like the project (the venv and the corpus), so files
    # an example writes (答复.docx) land in tmp_path.
    (tmp_path / ".venv").symlink_to(ROOT / ".venv")
    (tmp_path / "corpus").symlink_to(ROOT / "corpus")
    if not (ROOT / ".venv" / "bin" / "kb").exists():
        pytest.skip("no .venv/bin/kb (run make install)")
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "KB_EMBED_MODEL": "hash",
           "KB_INDEX": str(tmp_path / "index"), "KB_FILE_SECONDS": "0",
           "KB_FILE_MEMORY_MB": "0"}
    for line in lines:
        p = subprocess.run(["bash", "-c", line], cwd=tmp_path, env=env, capture_output=True,
                           text=True, timeout=600)
        assert p.returncode == 0, f"{line}\n{p.stderr[-2000:]}"
        assert p.stdout.strip(), line
        if " search " in line:
            assert "未找到相关内容" not in p.stdout, line
        if "--json" in line and " search " in line:
            assert '"title"' in p.stdout, line
    with zipfile.ZipFile(tmp_path / "答复.docx") as z:
        assert "word/footnotes.xml" in z.namelist()

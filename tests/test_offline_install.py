"""The offline (intranet) install path: `make install-offline` uses only the wheel folder;
pip installs the project's own wheel from such a folder with no index."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "ingest", "index", "answer", "cases", "service", "cli", "evals")

pytestmark = pytest.mark.slow  # runs make and pip


def test_install_offline_never_reaches_an_index(tmp_path):
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    out = subprocess.run(["make", "-n", "install-offline", f"WHEELS={tmp_path}/w",
                          f"VENV={tmp_path}/v"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    installs = [line for line in out.splitlines() if "pip install" in line]
    assert len(installs) == 3
    assert all(f"--no-index --find-links {tmp_path}/w" in line for line in installs)
    wheels = subprocess.run(["make", "-n", "wheels", f"WHEELS={tmp_path}/w"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout
    assert "pip wheel" in wheels and "torch==2.13.0 ." in wheels


def test_project_wheel_installs_with_no_index(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    for pkg in PACKAGES:
        shutil.copytree(ROOT / pkg, src / pkg, ignore=shutil.ignore_patterns("__pycache__"))
    wheels = tmp_path / "wheels"
    pip = [sys.executable, "-m", "pip"]
    subprocess.run([*pip, "wheel", "-q", "--no-deps", "--no-build-isolation", "-w", str(wheels),
                    str(src)], check=True, capture_output=True, timeout=300)
    assert [w.name for w in wheels.glob("jiguan_kb-*.whl")]
    offline = ["--no-index", "--find-links", str(wheels), "--no-deps", "--ignore-installed"]
    dry = subprocess.run([*pip, "install", "--dry-run", *offline, "jiguan-kb"],
                         capture_output=True, text=True, timeout=300)
    assert dry.returncode == 0 and "Would install jiguan-kb-0.1.0" in dry.stdout, dry.stderr
    target = tmp_path / "target"
    subprocess.run([*pip, "install", "-q", *offline, "--target", str(target), "jiguan-kb"],
                   check=True, capture_output=True, timeout=300)
    assert (target / "cli" / "main.py").is_file() and (target / "index" / "userdict.txt").is_file()

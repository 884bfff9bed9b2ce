"""The import contracts (pyproject.toml, run by `make check`) hold for the code as it is, and a wrong arrow breaks
them: each case copies the package, adds one bad import and runs `lint-imports` on the copy."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(cwd)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_contracts_are_kept() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "bad_import", "broken"),
    [
        ("core/clock.py", "import carenet.booking.models", "core imports nothing of ours BROKEN"),
        ("booking/services.py", "import carenet.portal.views", "order, core BROKEN"),
        ("messaging/services.py", "import carenet.demo.identity", "order, core BROKEN"),
        ("scheduling/models.py", "import carenet.booking.models", "No cycles between the apps BROKEN"),
    ],
)
def test_a_wrong_arrow_breaks_the_build(tmp_path: Path, module: str, bad_import: str, broken: str) -> None:
    shutil.copytree(ROOT / "carenet", tmp_path / "carenet", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "carenet" / module
    target.write_text(target.read_text() + f"\n{bad_import}  # a wrong arrow\n")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert broken in " ".join(result.stdout.split()), result.stdout

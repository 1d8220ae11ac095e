"""Shared fixtures: the repository root, the CLI runner, a tiny spec writer."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The built-in problems as the checkout holds them (counted from the folders, not from the
# engine under test): problem_bank/<topic>/<name>/problem.py.
BUILTIN = sorted(f"{p.parent.parent.name}/{p.parent.name}" for p in (ROOT / "problem_bank").glob("*/*/problem.py"))


def run_cli(*args: str, cwd: Path = ROOT, env: dict | None = None, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run `examgen` as a user would, in a fresh process."""
    return subprocess.run([sys.executable, "-m", "generator", *args], cwd=cwd, capture_output=True, text=True,
                          env=env, timeout=timeout)


@pytest.fixture
def cli():
    return run_cli


@pytest.fixture
def write_spec(tmp_path):
    def write(text: str, name: str = "spec.yaml") -> Path:
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        return path
    return write

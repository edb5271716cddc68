"""The layering of docs/architecture.md, guarded by import-linter (its contracts are in pyproject.toml):
meetings below commitments, the project's base modules below both, models that plan no mail, no circles.

import-linter rather than a walk of our own: its contracts say the architecture in a few declarative
lines, it follows every import (those inside functions too), and it explains a broken contract with
the chain of imports that breaks it. The second test shows the contracts catch what they are for.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from importlinter.cli import lint_imports

BASE_DIR = Path(__file__).resolve().parent.parent
PACKAGES = ["config", "meetings", "commitments"]


def test_the_layers_hold():
    assert lint_imports(config_filename=str(BASE_DIR / "pyproject.toml"), no_cache=True, no_logo=True) == 0


def lint_a_copy_with(tmp_path: Path, module: str, line: str, *, in_a_function: bool = False) -> str:
    """Lint a copy of the project in which `module` also has `line`; the report of the contracts broken."""
    for package in PACKAGES:
        shutil.copytree(BASE_DIR / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(BASE_DIR / "pyproject.toml", tmp_path)
    path = tmp_path / (module.replace(".", "/") + ".py")
    addition = f"\n\ndef _added():\n    {line}\n" if in_a_function else f"\n{line}\n"
    path.write_text(path.read_text() + addition)
    script = "import sys, importlinter.cli as cli; sys.exit(cli.lint_imports(no_cache=True, no_logo=True))"
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, env={"PYTHONPATH": str(tmp_path)}
    )
    assert result.returncode == 1, result.stdout + result.stderr
    return result.stdout


@pytest.mark.parametrize(
    ("module", "line", "in_a_function", "contract"),
    [
        ("meetings.views", "from commitments import models", False, "Layers"),
        ("config.api", "from meetings import permissions", False, "Layers"),
        ("commitments.models", "from commitments.reminders import delivery", True, "Models plan and send no mail"),
        ("commitments.exports", "from commitments import brief", True, "No import circles"),
    ],
)
def test_the_contracts_catch_a_wrong_import(tmp_path, module, line, in_a_function, contract):
    report = lint_a_copy_with(tmp_path, module, line, in_a_function=in_a_function)
    broken = [text for text in report.splitlines() if "BROKEN" in text]
    assert any(text.startswith(contract) for text in broken), report

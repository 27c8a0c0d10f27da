"""The package layout shows the data flow (spec → data → ml → engine → scoring → runs → workshop, calibrate → reports →
store → app, bench → cli), and import-linter's contracts in ``pyproject.toml`` keep every import pointing
down it and every package's modules free of import cycles."""

import shutil
import subprocess

from conftest import ROOT

LAYERS = ("spec", "data", "ml", "engine", "scoring", "runs", "workshop", "calibrate", "reports", "store", "app",
          "bench", "cli")


def test_every_module_lives_in_a_layer_package():
    top = sorted(p.name for p in (ROOT / "sandbox").iterdir() if p.suffix == ".py")
    assert top == ["__init__.py", "__main__.py"]
    assert sorted(p.name for p in (ROOT / "sandbox").iterdir() if p.is_dir() and p.name != "__pycache__") == \
        sorted(LAYERS)


def test_imports_follow_the_layers():
    command = shutil.which("lint-imports")
    assert command, "import-linter is installed with the test extras: pip install -e '.[test]'"
    done = subprocess.run([command], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0 and "2 kept, 0 broken" in done.stdout, done.stdout[-3000:]

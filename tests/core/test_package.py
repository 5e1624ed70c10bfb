"""Packaging promises: no framework imports, a complete __all__, py.typed, the CLI."""

from __future__ import annotations

import importlib
import json
import pkgutil
import subprocess
import sys
from pathlib import Path

import pytest

import dropblock_core
from dropblock_core.cli import main


def test_core_never_imports_a_framework():
    code = (
        "import sys, numpy as np, dropblock_core as db\n"
        "x = np.ones((2, 3, 14, 14), np.float32)\n"
        "db.dropblock(x, 0.1, 7, seed=0); db.dropblock(x, 0.1, 7)\n"
        "db.sample_mask((2, 3, 9), 0.1, 3, seed=1, share_channels=True)\n"
        "db.exact_gamma(0.1, 7, (14, 14)); db.paper_gamma(0.1, 7, (14, 14))\n"
        "import dropblock_core.cli, dropblock_core.config\n"
        "bad = [m for m in ('torch', 'jax', 'tensorflow', 'keras', 'cupy', 'flax') if m in sys.modules]\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_all_lists_exactly_the_public_names():
    for info in pkgutil.walk_packages(dropblock_core.__path__, "dropblock_core."):
        module = importlib.import_module(info.name)
        public = {
            name
            for name, value in vars(module).items()
            if not name.startswith("_")
            and getattr(value, "__module__", module.__name__) == module.__name__
            and (callable(value) or isinstance(value, type))
        }
        assert public <= set(module.__all__), (info.name, public - set(module.__all__))
        for name in module.__all__:
            assert hasattr(module, name), (info.name, name)


def test_py_typed_ships():
    assert (Path(dropblock_core.__file__).parent / "py.typed").exists()


def test_cli_gamma(capsys):
    assert main(["gamma", "--shape", "14,14", "--block", "7", "--drop", "0.1"]) == 0
    out = capsys.readouterr().out
    assert "0.0929" in out and "0.00625" in out and "0.1000" in out


def test_cli_masks_writes_a_png(tmp_path):
    out = tmp_path / "m.png"
    assert (
        main(["masks", "--shape", "20x20", "--block", "5", "--samples", "3", "--out", str(out)])
        == 0
    )
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_reports_bad_parameters(capsys):
    assert main(["gamma", "--drop", "1.5"]) == 2
    assert "drop_prob" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["gamma", "--shape", "0,3"])


def test_console_script_is_installed():
    out = subprocess.run(
        [sys.executable, "-m", "dropblock_core.cli", "gamma", "--drop", "0.2"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "0.2000" in out.stdout
    json.dumps(out.stdout)  # plain text

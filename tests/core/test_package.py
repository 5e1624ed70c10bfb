"""Packaging promises: no framework imports, a complete __all__, py.typed in the
built wheel for every package, the CLI and its installed console script."""

from __future__ import annotations

import importlib
import importlib.metadata
import os
import pkgutil
import shutil
import site
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import dropblock_core
from dropblock_core.cli import main
from tests.children import frameworks_after, install_wheel

ROOT = Path(__file__).resolve().parents[2]


def test_core_never_imports_a_framework():
    code = (
        "import sys, numpy as np, dropblock_core as db\n"
        "x = np.ones((2, 3, 14, 14), np.float32)\n"
        "db.dropblock(x, 0.1, 7, seed=0); db.dropblock(x, 0.1, 7)\n"
        "db.sample_mask((2, 3, 9), 0.1, 3, seed=1, share_channels=True)\n"
        "db.exact_gamma(0.1, 7, (14, 14)); db.paper_gamma(0.1, 7, (14, 14))\n"
        "import dropblock_core.cli, dropblock_core.config\n"
    )
    assert frameworks_after(code) == []


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


def _source_packages() -> list[str]:
    """dropblock_core and every adapter package of the source tree."""
    adapters = (ROOT / "adapters").glob("*/__init__.py")
    return sorted(["dropblock_core", *(init.parent.name for init in adapters)])


def _clean_env() -> dict[str, str]:
    """The environment without PYTHON* variables (this checkout off the path)."""
    return {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}


@pytest.mark.slow  # builds the wheel (once per run) and a virtual environment
def test_py_typed_ships_in_the_wheel_for_every_package(wheel, tmp_path):
    packages = _source_packages()
    assert len(packages) >= 4  # the core and the torch, tf and jax adapters
    names = zipfile.ZipFile(wheel).namelist()
    shipped = sorted({n.split("/")[0] for n in names if n.count("/") == 1 and "__init__" in n})
    assert shipped == packages  # every package of the tree is in the wheel, nothing else
    for package in packages:
        assert f"{package}/py.typed" in names, package
    # The wheel installs into a clean virtual environment (no pip, no dependencies:
    # they are added to its path afterwards, so the import below can run).
    env_dir = tmp_path / "venv"
    python = env_dir / "bin" / "python"
    installed = install_wheel(wheel, env_dir)
    (installed / "deps.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    code = (
        "import importlib.util, pathlib, dropblock_core\n"
        "print(dropblock_core.__file__)\n"
        f"for name in {packages!r}:\n"
        "    spec = importlib.util.find_spec(name)\n"
        "    typed = pathlib.Path(spec.submodule_search_locations[0], 'py.typed')\n"
        "    print(name, typed.is_file(), typed.parent.parent)\n"
    )
    out = subprocess.run(
        [str(python), "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=_clean_env(),
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    first, *rows = out.stdout.splitlines()
    assert Path(first).is_relative_to(installed)  # the installed wheel, not this checkout
    assert rows == [f"{name} True {installed}" for name in packages]


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


def _console_script() -> str:
    """The installed ``dropblock-core``: next to this interpreter, else on PATH."""
    beside = Path(sys.executable).parent / "dropblock-core"
    found = str(beside) if beside.is_file() else shutil.which("dropblock-core")
    assert found, "dropblock-core is not installed: `pip install -e .` installs it"
    return found


def test_console_script_is_installed():
    (entry,) = importlib.metadata.entry_points(group="console_scripts", name="dropblock-core")
    assert entry.value == "dropblock_core.cli:main"
    args = ["gamma", "--shape", "14,14", "--block", "7", "--drop", "0.1", "0.2"]
    out = subprocess.run(
        [_console_script(), *args], capture_output=True, text=True, check=True, timeout=120
    )
    assert out.stderr == ""
    assert "\x1b[" not in out.stdout  # plain text when not on a terminal
    cells = [line.split("│")[1:-1] for line in out.stdout.splitlines() if line.startswith("│")]
    # drop_prob, paper gamma, drop with it, exact gamma, drop with it (README's table)
    assert [[c.strip() for c in row] for row in cells] == [
        ["0.1", "0.00625", "0.0929", "0.00676435", "0.1000"],
        ["0.2", "0.0125", "0.1734", "0.0147814", "0.2000"],
    ]

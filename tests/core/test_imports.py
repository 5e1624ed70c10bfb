"""``import dropblock_core`` is light: the validator, SciPy's optimizer and ndimage,
matplotlib, rich and hypothesis load only when used (issue 12). The import-time
ratio itself (<= 1.5x ``import numpy``) is printed by ``dropblock-core bench``."""

from __future__ import annotations

import sys

import pytest

import dropblock_core
from tests.children import modules_after, run_python

HEAVY = (
    "scipy",
    "scipy.optimize",
    "scipy.ndimage",
    "matplotlib",
    "rich",
    "hypothesis",
    "dropblock_core.conformance",
    "dropblock_core.conformance.validator",
    "dropblock_core.cli",
)


def test_import_leaves_the_heavy_modules_out():
    loaded = modules_after("import dropblock_core")
    assert "dropblock_core" in loaded
    assert not loaded & set(HEAVY), sorted(loaded & set(HEAVY))


def test_import_adds_only_array_api_compat_and_the_standard_library():
    extra = modules_after("import dropblock_core") - modules_after("import numpy")
    roots = {name.split(".")[0] for name in extra}
    third_party = roots - set(sys.stdlib_module_names)
    assert third_party == {"dropblock_core", "array_api_compat"}, sorted(third_party)


def test_using_the_core_without_the_validator_keeps_it_out():
    loaded = modules_after(
        "import numpy as np, dropblock_core as db\n"
        "db.dropblock(np.ones((2, 3, 14, 14), np.float32), 0.1, 7, seed=0)\n"
        "db.paper_gamma(0.1, 7, (14, 14)); db.linear_schedule(1, 2, 0.1)"
    )
    assert not loaded & {"dropblock_core.conformance", "matplotlib", "rich", "scipy.ndimage"}


def test_the_validator_loads_on_first_use():
    loaded = modules_after("import dropblock_core as db\nassert callable(db.validate)")
    assert {"dropblock_core.conformance", "scipy.ndimage"} <= loaded
    assert dropblock_core.Report is dropblock_core.conformance.Report
    assert {"validate", "Report"} <= set(dir(dropblock_core))
    with pytest.raises(AttributeError, match="no_such_name"):
        dropblock_core.no_such_name  # noqa: B018


def test_testing_module_does_not_need_hypothesis():
    # hypothesis blocked: assert_conforms works, the strategies say what to install.
    code = (
        "import sys\n"
        "sys.modules['hypothesis'] = None\n"
        "import dropblock_core as db\n"
        "from dropblock_core import testing\n"
        "testing.assert_conforms(lambda x, p, b: db.dropblock(x, p, b, gamma='paper'),"
        " checks=['rescale'])\n"
        "try:\n"
        "    testing.dropblock_cases()\n"
        "except ImportError as exc:\n"
        "    print(exc)\n"
    )
    assert 'python -m pip install ".[testing]"' in run_python(code)


def test_benchmark_measures_import_times():
    from dropblock_core.benchmark import import_times

    times = import_times(repeats=1)
    assert set(times) == {
        "numpy",
        "dropblock_core",
        "array_api_compat",
        "array_api_compat.numpy",
        "ratio",
    }
    assert 0 < times["array_api_compat"] < times["dropblock_core"]
    assert times["numpy"] > 0 and times["ratio"] == times["dropblock_core"] / times["numpy"]

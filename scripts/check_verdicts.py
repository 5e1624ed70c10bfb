"""Compare a validator JSON report (``dropblock-core validate --json``) with the
verdicts this project has established for each implementation.

    python scripts/check_verdicts.py report.json

Each known target must fail exactly the checks listed here (an empty set means
it must pass). Prints one line per target and a closing ``N passed, M failed``
line; exits non-zero when a verdict differs or a listed target is missing.
"""

from __future__ import annotations

import json
import sys

REFERENCE: frozenset[str] = frozenset()
PAPER_DEFECTS = {
    # Defects found by the full validator run documented in docs/conformance.md.
    "torchvision drop_block2d": {"edge cases"},  # float16 with > 65,504 kept units -> zeros
    "torchvision drop_block3d": {"edge cases"},
    "timm DropBlock2d (couple_channels=True, default)": {
        "drop rate",
        "block structure",
        "seed positions",
        "edge cases",
    },
    "timm DropBlock2d (couple_channels=False)": {
        "drop rate",
        "block structure",
        "seed positions",
        "edge cases",
    },
    "PyPI dropblock DropBlock2D": {
        "drop rate",
        "block structure",
        "seed positions",
        "mask coupling",
        "edge cases",
    },
    "PyPI dropblock DropBlock3D": {
        "drop rate",
        "block structure",
        "seed positions",
        "mask coupling",
        "edge cases",
    },
    "keras-cv DropBlock2D": {"drop rate", "block structure", "seed positions", "edge cases"},
}


# This project's packages: every target of theirs must pass.
OWN = ("dropblock_core", "dropblock_torch", "dropblock_tf", "dropblock_jax")


def expected_failures(target: str) -> set[str] | None:
    if target.split(" ", 1)[0] in OWN:
        return set(REFERENCE)
    return PAPER_DEFECTS.get(target)


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__)
        return 2
    with open(argv[1], encoding="utf-8") as file:
        reports = json.load(file)
    required = set(argv[2:])  # targets that must be present
    passed = failed = 0
    seen = set()
    for report in reports:
        target = report["target"]
        seen.add(target)
        got = {r["check"] for r in report["results"] if r["status"] == "fail"}
        want = expected_failures(target)
        if want is None:
            print(f"UNKNOWN {target}: fails {sorted(got)}")
            failed += 1
        elif got == want:
            print(f"ok      {target}: fails {sorted(got) or 'nothing'}, as established")
            passed += 1
        else:
            print(f"CHANGED {target}: fails {sorted(got)}, expected {sorted(want)}")
            failed += 1
    for target in sorted(required - seen):
        print(f"MISSING {target}: not validated")
        failed += 1
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

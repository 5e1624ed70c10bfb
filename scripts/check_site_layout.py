"""Look at the built site in a real browser: what is cut off at a given width.

    .venv/bin/mkdocs build && python scripts/check_site_layout.py site [--width 1280]

Opens every page of ``site/`` from disk in headless Chromium (``apt-get install
chromium``; not needed by the test suite), with no network, and prints, per
page, each code block, table or display formula that scrolls sideways
(content wider than its box) and how many columns of code fit. Exits 1 if
anything scrolls. ``--shots DIR`` also saves a full-page screenshot of each page.
The test suite checks what can be checked without a browser (code lines of at
most 88 columns, MathML, no external assets); this script is the look a person
would take after changing a page's tables.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PROBE = """<script>
window.addEventListener("load", () => {
  const cut = [];
  const boxes = ".md-content pre > code, .md-content .md-typeset__scrollwrap, "
    + ".md-content div.arithmatex";
  document.querySelectorAll(boxes).forEach((el) => {
    if (el.scrollWidth > el.clientWidth + 1) {
      cut.push({box: el.className || el.tagName, overflow: el.scrollWidth - el.clientWidth,
                text: (el.innerText || "").slice(0, 70).replace(/\\s+/g, " ")});
    }
  });
  let columns = null;
  const code = document.querySelector(".md-content pre > code");
  if (code) {
    const probe = document.createElement("span");
    probe.textContent = "x".repeat(100);
    code.appendChild(probe);
    columns = code.clientWidth / (probe.getBoundingClientRect().width / 100);
    probe.remove();
  }
  document.body.setAttribute("data-layout", JSON.stringify({cut, columns}));
});
</script>"""


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if path := shutil.which(name):
            return path
    raise SystemExit("check_site_layout: Chromium not found (apt-get install chromium)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path, help="the built site (mkdocs build)")
    parser.add_argument("--width", type=int, default=1280, help="window width in pixels")
    parser.add_argument("--shots", type=Path, help="save a full-page screenshot of each page here")
    args = parser.parse_args(argv)
    browser = [chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars"]
    browser += ["--virtual-time-budget=5000", f"--window-size={args.width},1200"]
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        copy = Path(tmp) / "site"
        shutil.copytree(args.site, copy)
        for page in sorted(copy.rglob("*.html")):
            if page.name == "404.html" or "search" in page.parts:
                continue
            name = page.relative_to(copy).as_posix()
            original = page.read_text(encoding="utf-8")
            page.write_text(original.replace("</body>", PROBE + "</body>"), encoding="utf-8")
            dom = subprocess.run(
                [*browser, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120
            ).stdout
            found = re.search(r'data-layout="([^"]*)"', dom)
            if not found:
                print(f"{name}: the page did not load")
                failed += 1
                continue
            layout = json.loads(html.unescape(found[1]))
            columns = layout["columns"]
            fit = f"{columns:.0f} code columns fit" if columns else "no code"
            print(f"{name}: {len(layout['cut'])} cut off; {fit}")
            for box in layout["cut"]:
                print(f"    {box['overflow']:4d} px too wide: {box['box']}: {box['text']}")
            failed += bool(layout["cut"])
            if args.shots:
                page.write_text(original, encoding="utf-8")
                args.shots.mkdir(parents=True, exist_ok=True)
                shot = args.shots / (name.replace("/", "_")[: -len(".html")] + ".png")
                subprocess.run(
                    [*browser[:-1], f"--window-size={args.width},6000", f"--screenshot={shot}"]
                    + [page.as_uri()],
                    capture_output=True,
                    timeout=120,
                )
    print(f"{failed} page(s) with content cut off at {args.width} px")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())

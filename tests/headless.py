"""Headless Chromium for the report tests: find (or apt-get install) Debian's chromium, take screenshots, and read
what the browser laid out (element positions, resolved links, loaded images) from the DOM.

No WebDriver: `chromium --dump-dom` prints the DOM after the page's scripts ran, so a probe script injected into
a copy of the page (next to it, so relative links resolve the same) writes its measurements into the DOM.
Flags verified on this kind of machine: ../shared/reference/toolchain.md §4.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars"]

# Measures the page at its laid-out width: the document's height, where each `[data-rxlt]` element and each tagged
# notebook cell (`celltag_<tag>`, named by its tag) sits (document coordinates), every link, image and script as the browser resolved them, and whether each image decoded.
_PROBE = """<script>window.addEventListener('load', function () {
  var extra = {}; try { extra = (function () { %s })() || {}; } catch (e) { extra = {error: String(e)}; }
  var top = function (el) { var r = el.getBoundingClientRect(); return [r.top + window.scrollY, r.bottom + window.scrollY]; };
  var out = {height: Math.max(document.documentElement.scrollHeight, document.body.scrollHeight),
             width: document.documentElement.clientWidth, marks: {}, links: [], images: [], scripts: [], ids: []};
  document.querySelectorAll('[data-rxlt]').forEach(function (el) {
    var k = el.getAttribute('data-rxlt'); if (!(k in out.marks)) out.marks[k] = top(el); });
  document.querySelectorAll('[class*=celltag_]').forEach(function (el) {  /* notebook cells by their tags */
    el.classList.forEach(function (c) { var k = c.slice(8);
      if (c.indexOf('celltag_') === 0 && !(k in out.marks)) out.marks[k] = top(el); }); });
  document.querySelectorAll('a[href]').forEach(function (a) { out.links.push(a.href); });
  document.querySelectorAll('img').forEach(function (i) {
    out.images.push({src: i.src.slice(0, 200), width: i.naturalWidth, shown: i.getBoundingClientRect().width}); });
  document.querySelectorAll('script[src], link[href]').forEach(function (s) { out.scripts.push(s.src || s.href); });
  document.querySelectorAll('[id]').forEach(function (e) { out.ids.push(e.id); });
  out.text = document.body.innerText; out.extra = extra;
  var p = document.createElement('pre'); p.id = 'rxlt-probe-out'; p.textContent = JSON.stringify(out);
  document.body.appendChild(p);
});</script>"""


def chromium() -> str:
    """Debian's chromium, installed with apt-get when missing (best effort); skip the test otherwise."""
    found = shutil.which("chromium")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        wait = ["-o", "DPkg::Lock::Timeout=600"]  # the Slurm test may hold dpkg's lock: wait for it
        subprocess.run(["apt-get", *wait, "update"], capture_output=True, timeout=300, env=env)
        subprocess.run(["apt-get", *wait, "install", "-y", "chromium"], capture_output=True, timeout=600, env=env)
        found = shutil.which("chromium")
    if not found:
        pytest.skip("Debian chromium is not installed and `apt-get install chromium` failed or is not allowed "
                    "(needs root and network to the Debian mirror): browser rendering not checked")
    return found


def _chromium(browser: str, *args: str, size: str) -> subprocess.CompletedProcess:
    profile = tempfile.mkdtemp(prefix="rxlt-chromium-")
    try:
        return subprocess.run([browser, *FLAGS, f"--user-data-dir={profile}", f"--window-size={size}", *args],
                              capture_output=True, text=True, timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def screenshot(browser: str, page: Path, png: Path, size: str = "1200,1800") -> None:
    _chromium(browser, f"--screenshot={png}", page.as_uri(), size=size)
    assert png.is_file(), f"chromium wrote no screenshot of {page}"


def ink(png: Path) -> float:
    """Share of clearly non-white pixels of a screenshot."""
    import numpy as np
    from PIL import Image

    a = np.asarray(Image.open(png).convert("L"), dtype=float)
    return float((a < 200).mean())


def probe(browser: str, page: Path, width: int = 1400, script: str = "") -> dict:
    """Lay `page` out `width` pixels wide and return the probe's measurements (see _PROBE); `script` (a function
    body) runs first, in the page, and what it returns comes back as "extra"."""
    copy = page.with_name(f".probe-{page.name}")
    text = page.read_text(encoding="utf-8")
    # <base>: the copy's links resolve as the page's own (same folder; '#x' means page.html#x)
    text = re.sub(r"<head[^>]*>", lambda m: m.group(0) + f"<base href='{page.name}'>", text, count=1)
    end = text.rfind("</body>")
    copy.write_text(text[:end] + (_PROBE % script) + text[end:], encoding="utf-8")
    try:
        res = _chromium(browser, "--virtual-time-budget=10000", "--dump-dom", copy.as_uri(), size=f"{width},900")
    finally:
        copy.unlink()
    found = re.search(r'<pre id="rxlt-probe-out">(.*?)</pre>', res.stdout, re.S)
    assert found, f"the probe did not run in {page}: {res.stderr[-1000:]}"
    import html

    return json.loads(html.unescape(found.group(1)))

"""HTML tables a reader can sort and filter in the page, offline.

Plain HTML first: without scripts the table is a static table (every row shown, in the given order). A small
inline script (no library, no CDN) adds a filter box that matches any cell's text (a language's name, its
code, its tier) and sorts by a column when its header is clicked (numbers by value, missing values last).
Rows can carry an id (`lang-sw`), so `report.html#lang-sw` opens the page at that row.
"""
from __future__ import annotations

import html
import math

# One copy per table; `document.currentScript` finds the table the script sits next to.
_SCRIPT = """<script>(function (box) {
  var table = box.querySelector('table'), body = table.tBodies[0], input = box.querySelector('input');
  var count = box.querySelector('.rxlt-count'), rows = Array.prototype.slice.call(body.rows);
  input.style.display = ''; count.style.display = '';
  function update() {
    var q = input.value.toLowerCase().trim(), n = 0;
    rows.forEach(function (r) { var hit = !q || r.textContent.toLowerCase().indexOf(q) >= 0;
      r.style.display = hit ? '' : 'none'; n += hit ? 1 : 0; });
    count.textContent = n + ' of ' + rows.length + ' rows';
  }
  function key(r, i) {
    var c = r.cells[i]; if (!c) return null;
    var v = c.hasAttribute('data-sort') ? c.getAttribute('data-sort') : c.textContent.trim();
    if (v === '' || v === '\\u2014') return null;
    var f = Number(v); return isNaN(f) ? v.toLowerCase() : f;
  }
  Array.prototype.forEach.call(table.tHead.rows[table.tHead.rows.length - 1].cells, function (th, i) {
    th.classList.add('rxlt-sortable'); th.title = 'click to sort';
    th.addEventListener('click', function () {
      var dir = th.getAttribute('aria-sort') === 'ascending' ? -1 : 1;
      Array.prototype.forEach.call(th.parentNode.cells, function (c) { c.removeAttribute('aria-sort'); });
      th.setAttribute('aria-sort', dir > 0 ? 'ascending' : 'descending');
      rows.sort(function (a, b) {
        var x = key(a, i), y = key(b, i);
        if (x === null || y === null) return x === y ? 0 : (x === null ? 1 : -1);
        if (typeof x !== typeof y) return (typeof x === 'number' ? -1 : 1) * dir;
        return (x < y ? -1 : x > y ? 1 : 0) * dir;
      });
      rows.forEach(function (r) { body.appendChild(r); });
    });
  });
  input.addEventListener('input', update); update();
})(document.currentScript.parentNode);</script>"""

# the class twice outweighs JupyterLab's `:not(.jp-RenderedMarkdown).jp-RenderedHTMLCommon td` (right-aligned, fixed)
STYLE = """<style>
.rxlt-table.rxlt-table table{border-collapse:collapse;font-size:13px;margin:0;table-layout:auto}
.rxlt-table.rxlt-table table th,.rxlt-table.rxlt-table table td{border:none;border-bottom:1px solid #e3e3e3;padding:3px 8px;
  text-align:left;vertical-align:top;white-space:nowrap}
.rxlt-table.rxlt-table table td.wrap{white-space:normal;min-width:12em}
.rxlt-table.rxlt-table table td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.rxlt-table.rxlt-table table thead th{position:sticky;top:0;background:#f3f4f6;z-index:1;vertical-align:bottom;
  white-space:normal}
.rxlt-table.rxlt-table th.rxlt-sortable{cursor:pointer}
.rxlt-table.rxlt-table th[aria-sort=ascending]::after{content:" \\25B2";font-size:9px}
.rxlt-table.rxlt-table th[aria-sort=descending]::after{content:" \\25BC";font-size:9px}
.rxlt-table.rxlt-table tr:target td{background:#fff3b0}
.rxlt-table.rxlt-table input{margin:0 8px 6px 0;padding:3px 6px;width:22em;font-size:13px}
.rxlt-table.rxlt-table .rxlt-count{color:#555;font-size:12px}
.rxlt-table.rxlt-table .rxlt-scroll{overflow:auto}
</style>"""


def cell(value, digits: int = 3, significant: bool = False) -> tuple[str, str]:
    """(shown text, sort key) of one value: numbers rounded for the eye (`significant`: to 3 significant digits,
    as p-values are), sorted by their full value."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—", ""
    if isinstance(value, bool):
        return ("yes" if value else "no"), ("1" if value else "0")
    if isinstance(value, (int, float)):
        # a small non-zero value keeps 3 significant digits rather than rounding to zero (learning rates: 0.0002)
        small = isinstance(value, float) and value != 0 and abs(value) < 10 ** -digits * 5
        text = ((f"{value:.3g}" if significant or small else f"{value:.{digits}f}") if isinstance(value, float)
                else str(value))
        return text, repr(float(value))
    return str(value), ""


def interactive_table(columns: list[str], rows: list[list], *, row_ids: list[str] | None = None,
                      row_classes: list[str] | None = None, mark: str = "",
                      placeholder: str = "filter rows", max_height: int = 0, digits: int = 3,
                      titles: dict[str, str] | None = None, wrap: tuple[str, ...] = (),
                      significant: tuple[str, ...] = ()) -> str:
    """A sortable, filterable HTML table. `rows` hold plain values (escaped here) or `(html, sort_key)` pairs
    (trusted HTML, e.g. links); `mark` sets `data-rxlt` on the wrapper (tests find the table by it); cells of the
    `wrap` columns may break lines, the others do not; numbers of the `significant` columns keep 3 significant
    digits (p-values), the others `digits` decimals."""
    titles = titles or {}
    # long headers ("intermediate+adversarial") may break after '+' or '_' rather than widen the table
    head = "".join(f"<th title='{html.escape(titles.get(c, ''))}'>"
                   f"{html.escape(c).replace('+', '+<wbr>').replace('_', '_<wbr>')}</th>" for c in columns)
    body = []
    for k, row in enumerate(rows):
        cells = []
        for name, value in zip(columns, row):
            if isinstance(value, tuple):  # trusted HTML (links, labels): laid out as text, sorted by its key
                text, key = value
                cls = ""
            else:
                shown, key = cell(value, digits, name in significant)
                text = html.escape(shown)
                cls = " class='num'" if (key or shown == "—") and not isinstance(value, bool) else ""
            if name in wrap:
                cls = " class='wrap'"
            sort = f" data-sort='{html.escape(key)}'" if key else ""
            cells.append(f"<td{cls}{sort}>{text}</td>")
        rid = f" id='{html.escape(row_ids[k])}'" if row_ids else ""
        rcls = f" class='{html.escape(row_classes[k])}'" if row_classes and row_classes[k] else ""
        body.append(f"<tr{rid}{rcls}>{''.join(cells)}</tr>")
    scroll = f" style='max-height:{max_height}px'" if max_height else ""
    mark_attr = f" data-rxlt='{html.escape(mark)}'" if mark else ""
    return (f"<div class='rxlt-table'{mark_attr}>{STYLE}"
            f"<input type='search' placeholder='{html.escape(placeholder)}' aria-label='{html.escape(placeholder)}' "
            f"style='display:none'><span class='rxlt-count' style='display:none'></span>"
            f"<div class='rxlt-scroll'{scroll}><table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody>"
            f"</table></div>{_SCRIPT}</div>")

"""How often `langnghe check` agrees with pyxform on a folder of XLSForms.

For every .md/.xlsx/.xls/.xlsm form in the folder: pyxform's verdict (does `convert` give a
form?) against ours (does `langnghe check` exit 0?). Forms that use features Lắng Nghe
does not run (geo, media, entities, external data…) are counted apart: for those the goal
is a precise message, not acceptance. A crash (exit code other than 0/1/2) is always a
defect.

    python3 tools/xlsform/agreement.py LANGNGHE_BINARY FOLDER [--list]

Needs pyxform importable (scripts/xlsform-agreement makes a venv with it).
"""

import os
import pathlib
import re
import subprocess
import sys
import warnings

from pyxform import xls2xform

UNSUPPORTED_TYPES = {
    "geopoint", "geotrace", "geoshape", "image", "audio", "video", "file", "barcode",
    "osm", "background-audio", "background-geopoint", "start-geopoint", "audit",
    "xml-external", "csv-external", "select_one_from_file", "select_multiple_from_file",
    "select_one_external", "select_multiple_external",
}
EXPRESSION_COLUMNS = {
    "relevant", "relevance", "constraint", "calculation", "calculate", "default",
    "choice_filter", "repeat_count", "required", "read_only", "trigger",
}
UNSUPPORTED_SHEETS = {"entities", "external_choices", "osm"}
UNSUPPORTED_COLUMNS = re.compile(
    r"^(media::|image|audio|video|big-image|body::|bind::|instance::)", re.I
)
UNSUPPORTED_TEXT = re.compile(
    r"pulldata\(|search\(|area\(|distance\(|geofence\(|digest\(|base64-decode\(|"
    r"instance\(['\"](?!__)[^'\"]*['\"]\)/root/item\[[^\]]*\]/[^ ]*\b(geometry)\b|"
    r"jr:count|quality=|max-pixels|capture-accuracy|track-changes|location-",
    re.I,
)


def tables(text):
    """pyxform markdown: {sheet: [header, rows...]}."""
    out, current = {}, None
    for line in text.splitlines():
        t = line.strip()
        if not t.startswith("|"):
            continue
        cells = [c.strip() for c in t.strip("|").split("|")]
        if all(set(c) <= set("-: ") for c in cells):
            continue
        if cells[0]:
            current = cells[0].lower()
            out.setdefault(current, [])
            if any(cells[1:]):
                out[current].append(cells[1:])
        elif current is not None:
            out[current].append(cells[1:])
    return out


def unsupported(path):
    """Why a form is outside what Lắng Nghe claims, or None."""
    if path.suffix.lower() != ".md":
        return None  # workbooks are all measured
    text = path.read_text(encoding="utf-8")
    if re.search(r"(?<!\$)\{[a-z_0-9]*\}", text, re.I):
        return "python template"
    t = tables(text)
    for s in t:
        if s in UNSUPPORTED_SHEETS:
            return f"sheet {s}"
    for s in ("survey", "choices"):
        rows = t.get(s) or []
        if not rows:
            continue
        head = [h.lower() for h in rows[0]]
        for h in head:
            if UNSUPPORTED_COLUMNS.match(h):
                return f"column {h}"
        if s == "survey" and "type" in head:
            i = head.index("type")
            for r in rows[1:]:
                ty = (r[i] if i < len(r) else "").split()
                if ty and ty[0].lower() in UNSUPPORTED_TYPES:
                    return f"type {ty[0]}"
                if ty and ty[0].lower().startswith("select") and any(w.startswith("${") for w in ty):
                    return "choices from a repeat's answers"
            # Raw XPath (paths, predicates) in expression columns; instance lookups on the
            # form's own lists are supported.
            for c, h in enumerate(head):
                if h.split(":")[0] not in EXPRESSION_COLUMNS:
                    continue
                for r in rows[1:]:
                    v = re.sub(r"'[^']*'|\"[^\"]*\"", "", r[c] if c < len(r) else "")
                    v = re.sub(r"instance\([^)]*\)/root/item(\[[^\]]*\])?(/[A-Za-z_][\w.-]*)?", "", v)
                    if "/" in v or "[" in v or "current()" in v:
                        return "XPath path or predicate"
    if UNSUPPORTED_TEXT.search(text):
        return "function or parameter " + UNSUPPORTED_TEXT.search(text).group(0)
    return None


def pyxform_accepts(path):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if path.suffix.lower() == ".md":
                xls2xform.convert(xlsform=path.read_text(encoding="utf-8"), file_type=".md")
            else:
                xls2xform.convert(xlsform=str(path))
        return True, ""
    except Exception as e:  # pyxform raises many kinds; any is a rejection
        return False, str(e).splitlines()[0] if str(e) else type(e).__name__


def ours(binary, path):
    p = subprocess.run([binary, "check", str(path)], capture_output=True, text=True,
                       env={**os.environ, "LANGNGHE_LANG": "en"})
    first = next((l for l in p.stderr.splitlines() + p.stdout.splitlines()
                  if l.strip() and "warning:" not in l), "")
    return p.returncode, first


def main():
    binary, folder = sys.argv[1], pathlib.Path(sys.argv[2])
    listing = "--list" in sys.argv
    files = sorted(p for p in folder.rglob("*")
                   if p.suffix.lower() in (".md", ".xlsx", ".xls", ".xlsm"))
    counts = {}
    crashes, rows = [], []
    for f in files:
        why = unsupported(f)
        py, py_msg = pyxform_accepts(f)
        code, msg = ours(binary, f)
        if code not in (0, 1, 2):
            crashes.append((f, code, msg))
        we = code == 0
        group = "outside" if why else "claimed"
        verdict = "agree" if py == we else ("we reject" if py else "we accept")
        counts[(group, verdict)] = counts.get((group, verdict), 0) + 1
        rows.append((group, verdict, f.name, why or "", py_msg if not py else msg, py, we))
    claimed = sum(v for (g, _), v in counts.items() if g == "claimed")
    agree = counts.get(("claimed", "agree"), 0)
    py_ok = [r for r in rows if r[5]]
    both_ok = [r for r in py_ok if r[6]]
    print(f"forms: {len(files)}  crashes: {len(crashes)}")
    if claimed:
        print(f"using only features Lắng Nghe claims: {claimed}; same verdict as pyxform: "
              f"{agree} ({100.0 * agree / claimed:.1f}%)")
    if py_ok:
        print(f"of the {len(py_ok)} pyxform accepts, {len(both_ok)} import here "
              f"({100.0 * len(both_ok) / len(py_ok):.1f}%)")
    for (g, v), n in sorted(counts.items()):
        print(f"  {g:8} {v:10} {n}")
    if listing:
        for r in rows:
            if r[1] != "agree" or r[0] == "outside":
                print(" | ".join(r[:5]))
    for f, code, msg in crashes:
        print(f"CRASH {f}: exit {code}: {msg}")
    sys.exit(1 if crashes else 0)


if __name__ == "__main__":
    main()

"""Writes every markdown XLSForm found in a pyxform checkout's tests into a folder.

pyxform's tests hold hundreds of small forms as markdown strings; they make a corpus of
forms written by the people who know XLSForm best. Nothing from pyxform is kept in our
repository: run this against a checkout (e.g. `fetch` of XLSForm/pyxform) when measuring.

    python3 tools/xlsform/corpus.py PYXFORM_CHECKOUT OUT_DIR
"""

import ast
import pathlib
import sys
import textwrap


def forms(py: pathlib.Path):
    try:
        tree = ast.parse(py.read_text(encoding="utf-8"))
    except (SyntaxError, UnicodeDecodeError):
        return
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            text = node.value
            if "|" in text and "survey" in text.lower() and "\n" in text:
                lines = [l for l in textwrap.dedent(text).splitlines() if l.strip()]
                first = lines[0].strip().lower() if lines else ""
                if first.startswith("|") and "survey" in first:
                    yield textwrap.dedent(text)


def main():
    src, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    out.mkdir(parents=True, exist_ok=True)
    n = 0
    seen = set()
    for py in sorted((src / "tests").rglob("*.py")):
        for text in forms(py):
            if text in seen:
                continue
            seen.add(text)
            n += 1
            stem = py.relative_to(src / "tests").with_suffix("").as_posix().replace("/", "-")
            (out / f"{stem}-{n:04}.md").write_text(text, encoding="utf-8")
    print(f"{n} markdown forms written to {out}")


if __name__ == "__main__":
    main()

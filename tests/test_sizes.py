"""Sizes a newcomer can read: no application module over 500 lines and no function
over 60, unless the module's docstring, or the function's docstring or first comment, carries a
line starting with "Long because:" that says why. Migrations, tests and benchmarks are not
application code."""

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ("config", "msp_portal", "reports", "licensing", "billing", "invoicing")
SKIPPED_PARTS = {"migrations", "tests", "benchmarks"}
MAX_MODULE_LINES = 500
MAX_FUNCTION_LINES = 60
REASON = "Long because:"


def _modules():
    for app in APPS:
        if not (ROOT / app).is_dir():
            continue
        for path in sorted((ROOT / app).rglob("*.py")):
            if not SKIPPED_PARTS.intersection(path.relative_to(ROOT).parts):
                yield path


def _has_reason(text: str | None) -> bool:
    return bool(text) and any(line.strip().startswith(REASON) for line in text.splitlines())


def _function_reason(node: ast.FunctionDef | ast.AsyncFunctionDef, lines: list[str]) -> bool:
    """The docstring, or the comments between the signature and the first statement."""
    if _has_reason(ast.get_docstring(node)):
        return True
    first = node.body[0]
    signature_end = node.lineno
    while signature_end < first.lineno and not lines[signature_end - 1].rstrip().endswith(":"):
        signature_end += 1
    comments = lines[signature_end : first.lineno - 1]
    return any(line.strip().lstrip("#").strip().startswith(REASON) for line in comments)


def oversized() -> list[str]:
    found = []
    for path in _modules():
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        tree = ast.parse(source)
        name = path.relative_to(ROOT)
        if len(lines) > MAX_MODULE_LINES and not _has_reason(ast.get_docstring(tree)):
            found.append(f"{name}: {len(lines)} lines")
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION_LINES and not _function_reason(node, lines):
                    found.append(f"{name}:{node.lineno} {node.name}(): {length} lines")
    return found


def test_no_long_module_or_function_without_a_reason():
    assert oversized() == [], (
        f"Split these, or write a line starting with {REASON!r} at their top saying why "
        f"(modules over {MAX_MODULE_LINES} lines, functions over {MAX_FUNCTION_LINES}):"
    )


def test_the_check_sees_a_long_function_and_accepts_a_reason(tmp_path, monkeypatch):
    """The rule fails on what it should: a long function without a reason, and not with one."""
    app = tmp_path / "licensing"
    app.mkdir()
    body = "".join(f"    x{i} = {i}\n" for i in range(MAX_FUNCTION_LINES))
    (app / "long.py").write_text(
        f"def long():\n{body}\n\ndef explained():\n    # Long because: a table.\n{body}"
    )
    monkeypatch.setattr(sys.modules[__name__], "ROOT", tmp_path)
    assert oversized() == [f"licensing/long.py:1 long(): {MAX_FUNCTION_LINES + 1} lines"]

"""The documentation holds: every public name has a docstring, every command line shown parses, and
the examples marked runnable run and print what the pages say they print.

Conventions of ``docs/*.md`` (and of README.md where it applies):

- In ``sh``, ``shell``, ``bash`` and ``console`` blocks every ``ublbatch ...`` (or ``python -m ublbatch
  ...``) command, including those after ``&&`` or before ``|``, must parse with ``ublbatch.cli._parser()``.
- A ``python`` block whose first line is ``# runnable`` is executed; a ``console`` block is run, one
  ``$ command`` at a time, in ``bash``. Each page runs its blocks in order, in one temporary folder
  holding a copy of ``fixtures/`` (so ``fixtures/mixed.xml`` means what it means in the repository)
  and in one Python namespace, so a later block may use what an earlier one made.
- A ``console`` block shows each command's output (stdout and stderr, as a terminal shows them) under
  it; an ``output`` block right after a runnable ``python`` block is what that block prints. Both are
  compared as doctest does with ELLIPSIS and NORMALIZE_WHITESPACE: ``...`` stands for anything (trimmed
  output, dates of today, absolute paths) and runs of white space are equal.
- A block whose first line is ``# file: NAME`` (a test module, an ini file) is written to ``NAME`` in
  that folder when the run reaches it, for the commands after it to use.
- Other ``python`` blocks (fragments, a cluster address, a file that is not there) are left alone, so
  keep them few.
"""

from __future__ import annotations

import argparse
import contextlib
import doctest
import importlib
import inspect
import io
import os
import pkgutil
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import pytest
from conftest import FIXTURES, ROOT

import ublbatch
from ublbatch.cli import _parser

DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
CHECKED = [*PAGES, ROOT / "README.md"]

# -- (a) docstrings -----------------------------------------------------------------------------------

def public_modules() -> list[types.ModuleType]:
    """``ublbatch`` and every module of it whose name does not start with ``_``."""
    modules = [ublbatch]
    for info in pkgutil.iter_modules(ublbatch.__path__):
        if not info.name.startswith("_"):
            modules.append(importlib.import_module(f"ublbatch.{info.name}"))
    return modules


def public_names(module: types.ModuleType) -> list[str]:
    """The module's ``__all__``; for a module without one, its own names that do not start with ``_``."""
    names = getattr(module, "__all__", None)
    if names is not None:
        return list(names)
    return [name for name, obj in vars(module).items()
            if not name.startswith("_") and getattr(obj, "__module__", None) == module.__name__]


def _ours(obj: object) -> bool:
    module = getattr(obj, "__module__", None) or ""
    return module == "ublbatch" or module.startswith("ublbatch.")


def _generated_class_doc(cls: type) -> bool:
    """NamedTuple writes ``Name(field, ...)`` as the docstring of a class that has none."""
    doc = cls.__dict__.get("__doc__") or ""
    return hasattr(cls, "_fields") and re.fullmatch(rf"{re.escape(cls.__name__)}\(.*\)", doc) is not None


def _function(member: object) -> Any:
    """The function behind a method, classmethod, staticmethod or property getter, else None."""
    if isinstance(member, staticmethod | classmethod):
        return member.__func__
    if isinstance(member, property):
        return member.fget
    if inspect.isfunction(member):
        return member
    return None


def _attrs_generated(cls: type, func: Any) -> bool:
    """attrs writes methods (``__init__``, ``__eq__``, ...) whose code comes from no file of ours."""
    code = getattr(func, "__code__", None)
    return attrs.has(cls) and (code is None or not code.co_filename.endswith(".py")
                               or "attrs generated" in code.co_filename)


def undocumented() -> dict[str, str]:
    """Every public class, function, method and property of ublbatch without a docstring of its own.

    Methods are checked on every ublbatch class a public class inherits from (a private base's
    methods are part of the public class's interface); dunder methods are left out.
    """
    missing: dict[str, str] = {}
    seen: set[int] = set()

    def check_class(cls: type) -> None:
        for klass in cls.__mro__:
            if not _ours(klass) or id(klass) in seen:
                continue
            seen.add(id(klass))
            where = f"{klass.__module__}.{klass.__qualname__}"
            doc = klass.__dict__.get("__doc__")
            if not klass.__name__.startswith("_") and (not (doc and doc.strip()) or _generated_class_doc(klass)):
                missing[where] = "class"
            for name, member in vars(klass).items():
                if name.startswith("__") and name.endswith("__"):
                    continue
                if name.startswith("_"):
                    continue
                func = _function(member)
                if func is None or _attrs_generated(klass, func):
                    continue
                kind = "property" if isinstance(member, property) else "method"
                own = member.__doc__ if isinstance(member, property) else func.__doc__
                if not (own and own.strip()):
                    missing[f"{where}.{name}"] = kind

    for module in public_modules():
        for name in public_names(module):
            obj = getattr(module, name)
            if not _ours(obj) or id(obj) in seen:
                continue
            if inspect.isclass(obj):
                check_class(obj)
            elif callable(obj):
                seen.add(id(obj))
                if not (obj.__doc__ and obj.__doc__.strip()):
                    missing[f"{obj.__module__}.{getattr(obj, '__qualname__', name)}"] = "function"
    return missing


def test_every_public_name_has_a_docstring() -> None:
    missing = undocumented()
    assert not missing, "no docstring of their own:\n  " + "\n  ".join(f"{k} ({v})" for k, v in sorted(missing.items()))


# -- reading the pages ----------------------------------------------------------------------------------

_FENCE = re.compile(r"^(?P<indent> {0,4})```(?P<lang>[\w-]*)\s*$")


@attrs.frozen
class Block:
    """One fenced code block of a page."""

    page: Path
    line: int
    """Line of the opening fence (1-based)."""
    lang: str
    text: str

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks(page: Path) -> list[Block]:
    """The fenced code blocks of ``page``, in order, dedented to their fence."""
    found: list[Block] = []
    lines = page.read_text(encoding="utf-8").splitlines()
    number = 0
    while number < len(lines):
        opening = _FENCE.match(lines[number])
        number += 1
        if opening is None:
            continue
        indent, start, body = opening["indent"], number, []
        while number < len(lines) and lines[number].strip() != "```":
            line = lines[number]
            body.append(line[len(indent):] if line.startswith(indent) else line.lstrip())
            number += 1
        number += 1
        found.append(Block(page, start, opening["lang"], "\n".join(body) + "\n"))
    return found


def _logical_lines(text: str) -> Iterator[str]:
    """Lines with their ``\\`` continuations joined."""
    pending = ""
    for line in text.splitlines():
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        yield pending + line
        pending = ""
    if pending:
        yield pending


@attrs.frozen
class Shown:
    """A command of a ``console`` block and the output shown under it."""

    command: str
    output: str
    line: int


def console_commands(block: Block) -> list[Shown]:
    """The ``$ command`` lines of a console block, each with the lines under it as its output."""
    shown: list[Shown] = []
    lines = block.text.splitlines()
    number = 0
    while number < len(lines):
        if not lines[number].startswith("$ "):
            if not shown:
                raise AssertionError(f"{block.where}: a console block starts with a '$ ' command")
            number += 1
            continue
        line, command = block.line + 1 + number, lines[number][2:]
        while command.rstrip().endswith("\\") and number + 1 < len(lines):
            number += 1
            command = command.rstrip()[:-1] + " " + lines[number].strip()
        number += 1
        output = []
        while number < len(lines) and not lines[number].startswith("$ "):
            output.append(lines[number])
            number += 1
        shown.append(Shown(command, "\n".join(output).strip("\n"), line))
    return shown


SHELL = ("sh", "shell", "bash", "console")
_SEPARATORS = {"|", "||", "&&", ";", "&"}


def ublbatch_commands(line: str) -> Iterator[list[str]]:
    """The arguments of every ``ublbatch`` (or ``python -m ublbatch``) call in one shell line."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    tokens = list(lexer)
    segments: list[list[str]] = [[]]
    skip = False
    for token in tokens:
        if skip:
            skip = False
        elif token in _SEPARATORS:
            segments.append([])
        elif set(token) <= set("<>&") and set(token) & set("<>"):
            skip = True  # a redirection and its target
            previous = segments[-1][-1] if segments[-1] else ""
            if previous.isdigit() and f"{previous}{token}" in line:
                segments[-1].pop()  # 2> and the like
        else:
            segments[-1].append(token)
    for words in segments:
        while words and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", words[0]):
            words = words[1:]  # VAR=value before the command
        if words[:1] == ["ublbatch"]:
            yield words[1:]
        elif len(words) > 2 and re.fullmatch(r"python3?", words[0]) and words[1:3] == ["-m", "ublbatch"]:
            yield words[3:]


def shown_commands() -> list[tuple[str, list[str]]]:
    """(where, arguments) of every ublbatch command line in the shell blocks of the docs and the README."""
    found = []
    for page in CHECKED:
        for block in blocks(page):
            if block.lang not in SHELL:
                continue
            if block.lang == "console":
                lines = [(s.line, s.command) for s in console_commands(block)]
            else:
                lines = [(block.line, line) for line in _logical_lines(block.text)]
            for line_number, text in lines:
                for argv in ublbatch_commands(text):
                    found.append((f"{page.relative_to(ROOT)}:{line_number}", argv))
    return found


# -- (b) every command line shown parses ----------------------------------------------------------------


def test_the_docs_exist() -> None:
    names = {page.name for page in PAGES}
    assert {"index.md", "vendor.md", "receiver.md", "testing.md", "converter.md", "cli.md"} <= names
    assert len(shown_commands()) > 50


@pytest.mark.parametrize(("where", "argv"), shown_commands(), ids=lambda v: v if isinstance(v, str) else "")
def test_command_line_parses(where: str, argv: list[str]) -> None:
    errors = io.StringIO()
    try:
        with contextlib.redirect_stderr(errors), contextlib.redirect_stdout(io.StringIO()):
            _parser().parse_args(argv)
    except SystemExit as exit_:
        assert exit_.code == 0, f"{where}: ublbatch {shlex.join(argv)}\n{errors.getvalue()}"


def _commands(parser: argparse.ArgumentParser,
              prefix: str = "ublbatch") -> Iterator[tuple[str, argparse.ArgumentParser]]:
    """(``ublbatch validate``, its parser) for every command, ``ublbatch schemas verify`` included."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                inner = list(_commands(sub, f"{prefix} {name}"))
                yield from inner or [(f"{prefix} {name}", sub)]


def _sections(page: Path) -> dict[str, str]:
    """``## heading`` -> the text under it, up to the next heading of level 2."""
    sections: dict[str, str] = {}
    current = None
    for line in page.read_text(encoding="utf-8").splitlines():
        if line.startswith("## "):
            current = line[3:].strip().strip("`")
            sections[current] = ""
        elif current is not None:
            sections[current] += line + "\n"
    return sections


def test_cli_reference_covers_every_command_and_option() -> None:
    sections = _sections(DOCS / "cli.md")
    top = _parser()
    everywhere = {o for action in top._actions for o in action.option_strings}  # described once, up front
    problems = []
    for name, parser in _commands(top):
        if name not in sections:
            problems.append(f"no section '## {name}'")
            continue
        for action in parser._actions:
            options = [o for o in action.option_strings if o.startswith("--") and o not in everywhere]
            if options and not any(re.search(rf"{re.escape(o)}\b", sections[name]) for o in options):
                problems.append(f"{name}: {options[0]} is not described")
    for option in sorted(o for o in everywhere if o.startswith("--")):
        if not re.search(rf"{re.escape(option)}\b", sections.get("Output options", "")):
            problems.append(f"Output options: {option} is not described")
    assert not problems, "docs/cli.md is behind the command line:\n  " + "\n  ".join(problems)


# -- (c) the runnable examples run and print what they show --------------------------------------------

_CHECKER = doctest.OutputChecker()
_FLAGS = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE


def _same(want: str, got: str) -> bool:
    want, got = want.strip("\n") + "\n", got.strip("\n") + "\n"
    return want == got or _CHECKER.check_output(want, got, _FLAGS)


_FILE = re.compile(r"# file: (?P<name>[\w./-]+)\n")


def runnable(page: Path) -> list[Block]:
    """The blocks of ``page`` that take part in a run, in order: ``# runnable`` python blocks,
    ``# file: NAME`` blocks, console blocks and output blocks."""
    return [b for b in blocks(page) if b.lang in ("console", "output") or _FILE.match(b.text)
            or (b.lang == "python" and b.text.startswith("# runnable"))]


def written_file(block: Block, folder: Path) -> bool:
    """Write a ``# file: NAME`` block to ``folder/NAME`` (the first line stays: it is a comment)."""
    match = _FILE.match(block.text)
    if match is None:
        return False
    (folder / match["name"]).parent.mkdir(parents=True, exist_ok=True)
    (folder / match["name"]).write_text(block.text, encoding="utf-8")
    return True


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    scripts = sysconfig.get_path("scripts")
    # the commands run this checkout's ublbatch, whatever copy the environment has installed
    env.update(PATH=os.pathsep.join([scripts, str(Path(sys.executable).parent), env.get("PATH", "")]),
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")])),
               PYTHONUNBUFFERED="1", NO_COLOR="1", TERM="dumb", COLUMNS="100")
    env.pop("FORCE_COLOR", None)
    return env


@pytest.mark.parametrize("page", [p for p in PAGES if runnable(p)], ids=lambda p: p.name)
def test_examples_run(page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if shutil.which("jq") is None and any("jq " in b.text for b in runnable(page) if b.lang == "console"):
        pytest.skip("the page's shell examples use jq, which is not installed")
    shutil.copytree(FIXTURES, tmp_path / "fixtures")
    monkeypatch.chdir(tmp_path)
    env = _environment()
    namespace: dict[str, Any] = {"__name__": "__docs__"}
    printed: tuple[Block, str] | None = None
    for block in runnable(page):
        if block.lang == "output":
            assert printed is not None, f"{block.where}: an output block follows no runnable python block"
            source, got = printed
            assert _same(block.text, got), (f"{source.where} printed:\n{got}\n{block.where} shows:\n{block.text}")
            printed = None
            continue
        if printed is not None and printed[1].strip():
            pytest.fail(f"{printed[0].where} printed output that no output block shows:\n{printed[1]}")
        printed = None
        if written_file(block, tmp_path):
            continue
        if block.lang == "python":
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                exec(compile(block.text, block.where, "exec"), namespace)
            printed = (block, out.getvalue())
            continue
        for shown in console_commands(block):
            run = subprocess.run(["bash", "-c", shown.command], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True, timeout=300, check=False)
            where = f"{page.relative_to(ROOT)}:{shown.line}"
            assert _same(shown.output, run.stdout), (
                f"{where}: $ {shown.command}\nprinted (exit {run.returncode}):\n{run.stdout}\nthe page shows:\n"
                f"{shown.output}")
    if printed is not None and printed[1].strip():
        pytest.fail(f"{printed[0].where} printed output that no output block shows:\n{printed[1]}")

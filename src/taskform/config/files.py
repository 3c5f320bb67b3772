"""Finding and reading configuration files: what ``-c`` names, and the bytes of each file.

A directory means every ``*.yaml``/``*.yml`` below it (links must stay inside it); a file must
be a regular file, at most :data:`~.yamlpos.MAX_BYTES`, UTF-8. Each file's text is then parsed
by :func:`.yamlpos.parse`. Every refusal is a :class:`~.yamlpos.YamlError` or an
:class:`~.yamlpos.Issue` naming the path.
"""

from __future__ import annotations

import codecs
import os
import stat
from pathlib import Path

from taskform.config.yamlpos import MAX_BYTES, Document, Issue, YamlError, parse


def find_files(given: str) -> tuple[list[str], list[tuple[str, Issue]]]:
    """The YAML files ``given`` names, as paths starting with ``given``, and what is wrong.

    A file is itself. A directory means every ``*.yaml``/``*.yml`` below it, sorted by path,
    skipping hidden files and directories; symbolic links must stay inside the directory
    (links to directories are not followed: what they point at is walked anyway).
    """
    path = Path(given)
    issues: list[tuple[str, Issue]] = []
    if not path.exists():
        what = "broken symbolic link" if path.is_symlink() else "no such file or directory"
        return [], [(given, Issue(what, None, "pass -c with a YAML file or a directory of them"))]
    if not path.is_dir():
        kind = _not_regular(path)
        if kind:
            return [], [(given, Issue(f"not a regular file but {kind}", None, _REGULAR_HINT))]
        return [given], []
    root = path.resolve()
    found: list[tuple[tuple[str, ...], str]] = []
    seen: set[Path] = set()
    for dirpath, dirnames, filenames in os.walk(path):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for name in [d for d in dirnames if (here / d).is_symlink()]:
            dirnames.remove(name)
            _link_target(here / name, root, issues)
        for name in sorted(filenames):
            full = here / name
            if name.startswith(".") or not name.endswith((".yaml", ".yml")):
                continue
            target = _link_target(full, root, issues) if full.is_symlink() else full.resolve()
            kind = _not_regular(full) if target is not None else None
            if kind:
                issues.append(
                    (str(full), Issue(f"not a regular file but {kind}", None, _REGULAR_HINT))
                )
                continue
            if target is not None and target not in seen:
                seen.add(target)
                found.append((full.relative_to(path).parts, str(full)))
    if not found and not issues:
        issues.append((given, Issue("no YAML files (*.yaml, *.yml) in this directory")))
    return [name for _, name in sorted(found)], issues


_REGULAR_HINT = "a configuration file must be a regular file; remove it or rename it"


def _not_regular(path: Path) -> str | None:
    """What ``path`` is when it is not a regular file (a FIFO would block reading forever,
    a device never ends), or None."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None  # reported when it is read
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a file"


def _link_target(link: Path, root: Path, issues: list[tuple[str, Issue]]) -> Path | None:
    """Where ``link`` points, if that is inside ``root``; otherwise an issue."""
    try:
        target = link.resolve(strict=True)
    except (OSError, RuntimeError):
        issues.append((str(link), Issue("broken symbolic link", None, "remove it or fix it")))
        return None
    if target != root and root not in target.parents:
        message = "symbolic link points outside the configuration directory"
        issues.append((str(link), Issue(message, None, "copy the file into the directory")))
        return None
    return target


def decode(raw: bytes) -> str:
    """The text of a configuration file, which must be UTF-8 (a byte-order mark is fine)."""
    hint = "save it as UTF-8"
    for bom, name in (
        (codecs.BOM_UTF32_LE, "UTF-32"),
        (codecs.BOM_UTF32_BE, "UTF-32"),
        (codecs.BOM_UTF16_LE, "UTF-16"),
        (codecs.BOM_UTF16_BE, "UTF-16"),
    ):
        if raw.startswith(bom):
            raise YamlError(f"the file is {name} encoded", None, hint)
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    nul = raw.find(b"\0")
    if nul >= 0:
        line = raw.count(b"\n", 0, nul) + 1
        raise YamlError("the file contains NUL bytes; it may be UTF-16", line, hint)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        byte = raw[exc.start]
        raise YamlError(f"the file is not valid UTF-8 (byte 0x{byte:02X})", line, hint) from None


def read_file(path: str) -> Document:
    """Read, decode and parse one YAML file; every failure is a :class:`YamlError`."""
    try:
        # Non-blocking open, then a check of what was opened: a FIFO put in place after the
        # directory walk must not block the read forever.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with open(fd, "rb") as handle:
            if not stat.S_ISREG(os.fstat(fd).st_mode):
                raise YamlError("not a regular file", None, _REGULAR_HINT)
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise YamlError(f"cannot read the file: {exc.strerror or exc}") from None
    if len(raw) > MAX_BYTES:
        raise YamlError(
            f"the file is larger than {MAX_BYTES // (1024 * 1024)} MiB",
            None,
            "split the tasks into several files in a directory and pass it with -c",
        )
    return parse(decode(raw), path)

"""One home for secrets in task parameters: which paths are secret, masking, the values to
register for scrubbing, and what the configuration digest leaves out.

A parameter is secret when the configuration marks it ``${secret:NAME}`` (its dotted path is in
:attr:`DesiredTask.secrets <taskform.model.DesiredTask.secrets>`) or when any part of its path
names a credential (:data:`SECRET_NAME`): the portal may hold a credential the configuration does
not know about. Every question about secrets is answered here over one tree walker,
:func:`walk`; :mod:`taskform.redact` then scrubs the registered values from every output.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from taskform.model import DesiredTask

#: What a secret value is shown as (plan, plan file).
MASK = "(secret)"
#: What a secret whose value changed is shown as after the change.
MASK_CHANGED = "(secret, changed)"
#: What a removed parameter's live value is shown as: the configuration no longer says what
#: it was, and it may have held a secret (``${secret:X}`` taken out, or its key renamed).
MASK_REMOVED = "(not shown)"

#: Parameter names that hold credentials. Values under such a name are never shown (plan, plan
#: file, export), whether or not the configuration marks them ``${secret:}``.
SECRET_NAME = re.compile(r"pass(word|wd|phrase)?|secret|token|api_?key|credential|private", re.I)


class _Descend:
    """The marker a :func:`walk` visitor returns to go into a node (see :data:`DESCEND`)."""

    def __repr__(self) -> str:
        return "DESCEND"


#: Returned by a :func:`walk` visitor: keep this node and visit its children.
DESCEND: Any = _Descend()


def join(prefix: str, key: Any) -> str:
    """The dotted path of ``key`` under ``prefix`` (list items by index)."""
    return f"{prefix}.{key}" if prefix else str(key)


def walk(value: Any, visit: Callable[[str, Any], Any], prefix: str = "") -> Any:
    """The one tree walker: a copy of the JSON-like ``value`` in which ``visit(path, node)``
    replaces each node, the root (at ``prefix``) first; a visitor returning :data:`DESCEND`
    keeps a mapping or list and goes into its items (for any other node it keeps the node)."""
    got = visit(prefix, value)
    if got is not DESCEND:
        return got
    if isinstance(value, Mapping):
        return {k: walk(v, visit, join(prefix, k)) for k, v in value.items()}
    if isinstance(value, list):
        return [walk(v, visit, join(prefix, i)) for i, v in enumerate(value)]
    return value


def leaves(value: Any, prefix: str = "") -> dict[str, Any]:
    """The leaves of nested mappings and lists by dotted path; an empty mapping or list, or
    anything else, is a leaf."""
    found: dict[str, Any] = {}

    def visit(path: str, node: Any) -> Any:
        if isinstance(node, (Mapping, list)) and node:
            return DESCEND
        found[path] = node
        return node

    walk(value, visit, prefix)
    return found


def secret_name(path: str) -> bool:
    """Whether any part of a dotted parameter path names a credential."""
    return any(SECRET_NAME.search(part) for part in path.split("."))


def is_secret(path: str, declared: Collection[str] = ()) -> bool:
    """Whether the parameter at ``path`` (relative to ``parameters``) is secret: through a
    credential-like name, or at, under or above a path the configuration marks ``${secret:}``."""
    if secret_name(path):
        return True
    return any(path == s or path.startswith(s + ".") or s.startswith(path + ".") for s in declared)


def mask_declared(params: Any, declared: Collection[str], marker: str = MASK) -> Any:
    """``params`` with the nodes at the declared secret paths replaced by ``marker``: what the
    configuration digest sees (it is stored in plan files, where a weak secret could be guessed
    from it)."""
    paths = set(declared)
    return walk(params, lambda path, node: marker if path and path in paths else DESCEND)


def declared_values(params: Any, declared: Collection[str]) -> list[str]:
    """The resolved values at the declared secret paths: what to register for scrubbing."""
    paths = set(declared)
    return [
        node
        for path, node in leaves(params).items()
        if isinstance(node, str) and any(path == s or path.startswith(s + ".") for s in paths)
    ]


def reference(name: str) -> str:
    """The configuration's reference to the secret in environment variable ``name``."""
    return "${secret:" + name + "}"


def mask_named(params: Any, name: Callable[[str], str]) -> tuple[Any, dict[str, str]]:
    """``params`` with everything under a credential-like name (whatever its type, unless
    empty) replaced by the reference ``${secret:NAME}``, NAME being ``name(path)``; also
    path -> NAME for each one replaced."""
    found: dict[str, str] = {}

    def visit(path: str, node: Any) -> Any:
        leaf = path.rsplit(".", 1)[-1]
        if path and secret_name(leaf) and node not in (None, "", [], {}):
            found[path] = name(path)
            return reference(found[path])
        return DESCEND

    return walk(params, visit), found


# --- credentials recognised by value (export) ---------------------------------------------------

#: ``scheme://user:PASSWORD@host``: the password of a URL's userinfo.
_URL_PASSWORD = re.compile(
    r"(?P<head>\b[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@?#]*:)(?P<value>[^@\s/?#]+)@"
)
#: ``?name=VALUE`` / ``&name=VALUE`` in a URL or a query string.
_QUERY_PARAM = re.compile(r"(?P<head>[?&;](?P<name>[^=&;#\s]+)=)(?P<value>[^&;#\s]+)")
#: Query parameter names that carry credentials: the whole name, or its last ``-``/``_`` part
#: (``token``, ``access_token``, ``api-key``, ``sig`` of an Azure SAS, ``X-Amz-Signature``).
CREDENTIAL_PARAM = re.compile(
    r"(?:.*[-_.])?(token|key|apikey|sig|signature|password|passwd|pwd|pass|secret|credential"
    r"|credentials|auth|authorization|session|sas)",
    re.I,
)
#: A reference-shaped live string, as export has escaped it (``$${secret:NAME}``).
_ESCAPED_REFERENCE = re.compile(r"\$\$\{secret:(?P<name>[A-Za-z_][A-Za-z0-9_]*)\}")


def withhold_values(params: Any, name: Callable[[str], str]) -> tuple[Any, dict[str, str]]:
    """``params`` (already escaped for the configuration: ``${`` as ``$${``) with credentials
    recognised by their value replaced by ``${secret:NAME}`` references, in place inside the
    string: the password of a URL's userinfo (``postgres://app:PW@db``), the value of a
    credential-like query parameter (``?token=...``, ``&sig=...``), and strings shaped like a
    secret reference (``${secret:X}`` held live, which keeps its name). ``name(what)`` names
    the variable for ``what`` (``PATH_password``, ``PATH_token``); also a description of each
    one replaced -> NAME."""
    found: dict[str, str] = {}

    def visit(path: str, node: Any) -> Any:
        if not isinstance(node, str):
            return DESCEND
        text = node

        def url_password(match: re.Match[str]) -> str:
            variable = name(f"{path}_password")
            found[f"{path} (password in a URL)"] = variable
            return match["head"] + reference(variable) + "@"

        def query(match: re.Match[str]) -> str:
            if not CREDENTIAL_PARAM.fullmatch(match["name"]) or match["value"].startswith("${"):
                return match[0]
            variable = name(f"{path}_{match['name']}")
            found[f"{path} (query parameter {match['name']})"] = variable
            return match["head"] + reference(variable)

        def shaped(match: re.Match[str]) -> str:
            found[f"{path} (a secret reference)"] = match["name"]
            return reference(match["name"])

        text = _URL_PASSWORD.sub(url_password, text)
        text = _QUERY_PARAM.sub(query, text)
        return _ESCAPED_REFERENCE.sub(shaped, text)

    return walk(params, visit), found


# --- secret values in saved plans ---------------------------------------------------------------

#: PBKDF2 rounds for a secret's digest in a saved plan: enough that a guess costs something,
#: few enough that a plan of many secrets is written and checked in well under a second.
DIGEST_ROUNDS = 20_000


def value_digests(tasks: Iterable[DesiredTask], salt: str) -> dict[str, str]:
    """``owner/title parameters.PATH`` -> a salted PBKDF2-SHA256 digest of each declared secret
    value: stored in a saved plan so that a secret rotated between plan and apply makes the
    plan stale, without the plan holding the value (nor an unsalted hash of it)."""
    cache: dict[str, str] = {}
    result: dict[str, str] = {}
    for task in tasks:
        paths = set(task.secrets)
        for path, node in leaves(task.parameters).items():
            if not any(path == s or path.startswith(s + ".") for s in paths):
                continue
            text = node if isinstance(node, str) else json.dumps(node, sort_keys=True)
            if text not in cache:
                raw = hashlib.pbkdf2_hmac(
                    "sha256", text.encode("utf-8"), salt.encode("utf-8"), DIGEST_ROUNDS
                )
                cache[text] = raw.hex()
            result[f"{task.owner}/{task.title} parameters.{path}"] = cache[text]
    return result

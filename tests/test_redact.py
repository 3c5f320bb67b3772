"""The one scrubber of secrets: forms of a value, the length rule, structured data, threads."""

from __future__ import annotations

import json
import logging
import sys
import threading
from collections.abc import Callable, Iterator
from urllib.parse import quote, quote_plus, urlencode

import pytest

from taskform import redact
from taskform.redact import MASK, MIN_LENGTH, Registry

SECRET = 'p@ss w0rd/é"\\ok'


@pytest.fixture
def reg() -> Registry:
    return Registry()


@pytest.fixture
def fresh_global(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The module-level functions on an empty registry, without forgetting the values other
    tests (and clients) registered in the process-wide one."""
    monkeypatch.setattr(redact, "registry", Registry())
    yield


def test_plain_value_is_masked_everywhere(reg: Registry) -> None:
    reg.register("hunter2-secret")
    assert reg.scrub("a hunter2-secret b hunter2-secrethunter2-secret") == "a *** b ******"
    assert reg.scrub("nothing here") == "nothing here"


@pytest.mark.parametrize(
    "encode",
    [
        lambda v: quote(v, safe=""),
        quote,
        quote_plus,
        lambda v: quote_plus(v, safe="/"),
        lambda v: urlencode({"password": v}).split("=", 1)[1],
        lambda v: json.dumps(v)[1:-1],
        lambda v: json.dumps(v, ensure_ascii=False)[1:-1],
        lambda v: json.dumps(v)[1:-1].replace("/", "\\/"),
    ],
    ids=[
        "quote-safe-none",
        "quote",
        "quote_plus",
        "quote_plus-slash",
        "urlencode",
        "json-ascii",
        "json-unicode",
        "json-escaped-slash",
    ],
)
def test_encoded_forms_are_masked(reg: Registry, encode: Callable[[str], str]) -> None:
    form = encode(SECRET)
    assert form != SECRET  # each form really differs from the value
    reg.register(SECRET)
    assert reg.scrub(f"<{form}>") == f"<{MASK}>"


def test_secret_inside_a_json_document_and_a_query_string(reg: Registry) -> None:
    reg.register(SECRET)
    document = json.dumps({"message": f"bad password {SECRET}", "details": [SECRET]})
    assert SECRET not in json.loads(reg.scrub(document))["message"]
    assert json.loads(reg.scrub(document)) == {"message": "bad password ***", "details": ["***"]}
    query = "https://h/x?" + urlencode({"u": "jo", "password": SECRET})
    assert reg.scrub(query) == "https://h/x?u=jo&password=***"


def test_minimum_length(reg: Registry) -> None:
    short = "x" * (MIN_LENGTH - 1)
    long_enough = "y" * MIN_LENGTH
    reg.register(short, long_enough, "", None)
    assert reg.scrub(f"{short} {long_enough}") == f"{short} {MASK}"


def test_longer_value_wins_over_a_value_it_contains(reg: Registry) -> None:
    reg.register("abcd", "abcd-efgh-ijkl")
    assert reg.scrub("abcd-efgh-ijkl / abcd") == "*** / ***"
    assert reg.scrub("abcd-efgh") == "***-efgh"


def test_regex_characters_are_literal(reg: Registry) -> None:
    reg.register("a.b*c+(d)")
    assert reg.scrub("a.b*c+(d) aXbbc+(d)") == "*** aXbbc+(d)"


def test_clear_forgets(reg: Registry) -> None:
    reg.register("forget-me")
    reg.clear()
    assert reg.scrub("forget-me") == "forget-me"


def test_scrub_data_touches_only_strings(reg: Registry) -> None:
    reg.register("null", "true", "1234", "s3cret-value")
    data = {
        "a": None,
        "b": True,
        "c": 1234,
        "d": [None, "null", "not-true-at-all", ("s3cret-value", 1.5)],
        "s3cret-value": {"nested": "x s3cret-value y"},
        "e": "s3cret%2Dvalue but s3cret-value",
    }
    scrubbed = reg.scrub_data(data)
    assert scrubbed == {
        "a": None,
        "b": True,
        "c": 1234,
        "d": [None, MASK, f"not-{MASK}-at-all", (MASK, 1.5)],
        MASK: {"nested": f"x {MASK} y"},
        "e": f"s3cret%2Dvalue but {MASK}",
    }
    # JSON syntax survives registered values that are JSON words or numbers (scrubbing the
    # serialised text instead would not: ``"a": ***``).
    loaded = json.loads(json.dumps(scrubbed))
    assert (loaded["a"], loaded["b"], loaded["c"]) == (None, True, 1234)
    with pytest.raises(ValueError):
        json.loads(reg.scrub(json.dumps(data)))
    # A copy: the original is unchanged.
    assert data["d"] == [None, "null", "not-true-at-all", ("s3cret-value", 1.5)]
    assert reg.scrub_data("true") == MASK
    assert reg.scrub_data(None) is None
    assert Registry().scrub_data(data) == data


def test_module_functions_use_the_process_registry(fresh_global: None) -> None:
    redact.register("module-level-secret")
    assert redact.scrub("x module-level-secret") == "x ***"
    assert redact.scrub_data({"k": ["module-level-secret"]}) == {"k": ["***"]}
    redact.clear()
    assert redact.scrub("module-level-secret") == "module-level-secret"


def test_scrubbing_formatter_masks_messages_and_tracebacks(fresh_global: None) -> None:
    redact.register("tb-secret-9")
    try:
        raise ValueError("failed with tb-secret-9")
    except ValueError:
        record = logging.LogRecord(
            "taskform", logging.ERROR, __file__, 1, "using %s", ("tb-secret-9",), None
        )
        record.exc_info = sys.exc_info()
    text = redact.ScrubbingFormatter("%(message)s").format(record)
    assert "tb-secret-9" not in text
    assert "using ***" in text and "ValueError: failed with ***" in text


def test_concurrent_register_and_scrub(reg: Registry) -> None:
    values = [f"thread-secret-{i:03d}" for i in range(200)]
    reg.register("seen-before-any-thread")
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def registering(chunk: list[str]) -> None:
        start.wait()
        for value in chunk:
            reg.register(value)

    def scrubbing() -> None:
        start.wait()
        try:
            for i in range(300):
                text = reg.scrub(f"seen-before-any-thread {values[i % len(values)]}")
                # A value registered before the scrub started is always masked; others may be.
                assert text.startswith(f"{MASK} ")
                assert text.endswith((values[i % len(values)], MASK))
                reg.scrub_data({"k": ["seen-before-any-thread"]})
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)

    threads = [threading.Thread(target=registering, args=(values[i::4],)) for i in range(4)]
    threads += [threading.Thread(target=scrubbing) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert not errors
    assert reg.scrub(" ".join(values)) == " ".join([MASK] * len(values))


# --- secrets that are not plain ASCII, through every way a value travels ------------------------

CORPUS = [
    'quote"d',
    "apos'trophe",
    "both\"'quotes",
    "back\\slash\\\\",
    "per%cent%2Fsign",
    "plus+and space",
    "slash/and\\/",
    "ünïcödé-pass",
    "emoji-🔑-key",
    "tab\there\nnewline",
    "<html>&amp;</html>",
    "\u202eright-to-left",
]
PLACEHOLDER = "Zq9Zq9Zq9Zq9"


def _travels(secret: str) -> list[str]:
    """The texts a portal can echo back: the form body taskform sends for a notebook task
    whose notebookParameters hold the secret, and that body decoded as JSON, repr and HTML."""
    from urllib.parse import parse_qsl

    from taskform.model import CronFields, DesiredTask
    from taskform.portal.resources.codec import task_form

    task = DesiredTask(
        owner="jo",
        title="t",
        type="ExecuteNotebook",
        item_id="029b61ca770e428d9468a2a55f40b9fb",
        schedule="0 2 * * *",
        cron=CronFields("0", "2", "*", "*", "?"),
        parameters={"notebookParameters": {"key": secret, "deep": {"pw": [secret]}}},
    )
    body = urlencode(task_form(task))
    decoded = dict(parse_qsl(body))
    import html

    return [
        body,
        json.dumps(decoded),
        json.dumps(decoded, ensure_ascii=False),
        repr(decoded),
        html.escape(body),
        f"<pre>{html.escape(json.dumps(decoded, ensure_ascii=False))}</pre>",
        f"GET x?{urlencode({'parameters': decoded['parameters']})}",
        json.dumps({"error": {"message": json.dumps(decoded)}}),
    ]


@pytest.mark.parametrize("secret", CORPUS)
def test_every_way_a_secret_travels_is_scrubbed(reg: Registry, secret: str) -> None:
    """Scrubbed, each echo reads the same as the echo of a plain placeholder: every occurrence
    of the secret, in whatever encoding the journey gave it, became the mask."""
    reg.register(secret, PLACEHOLDER)
    for leaked, plain in zip(_travels(secret), _travels(PLACEHOLDER), strict=True):
        assert reg.scrub(leaked) == reg.scrub(plain), leaked
        assert MASK in reg.scrub(leaked)


# --- encodings a job's message or a log may print -------------------------------------------

NASTY = 'Sup3r*S3cret_[x]!&<y>"q' + "'z/+%20é"


@pytest.mark.parametrize("secret", [NASTY, SECRET, "plainpassword123"])
@pytest.mark.parametrize("prefix", [b"", b"a", b"ab", b"abc", b"user:"])
@pytest.mark.parametrize("alphabet", ["standard", "urlsafe"])
def test_base64_of_a_secret_is_masked_wherever_it_sits(
    reg: Registry, secret: str, prefix: bytes, alphabet: str
) -> None:
    """In a longer base64 text (a payload, an ``Authorization: Basic`` header) at each of
    the three byte alignments: what remains around the mask comes from the neighbours, fewer
    than two of the secret's bytes on either side (a base64 character holds six bits)."""
    import base64

    encode = base64.b64encode if alphabet == "standard" else base64.urlsafe_b64encode
    reg.register(secret)
    raw = secret.encode()
    text = encode(prefix + raw + b"tail").decode()
    scrubbed = reg.scrub(f"payload {text} end")
    assert MASK in scrubbed
    head, _, tail = scrubbed.removeprefix("payload ").removesuffix(" end").partition(MASK)
    assert len(head) <= -(-len(prefix) * 8 // 6) and len(tail) <= 8, scrubbed
    alone = encode(raw).decode()
    assert reg.scrub(alone) == MASK and reg.scrub(alone.rstrip("=")) == MASK


@pytest.mark.parametrize(
    "form",
    [
        NASTY.encode().hex(),
        NASTY.encode().hex().upper(),
        json.dumps(NASTY)[1:-1].replace("\\u00e9", "\\u00E9"),
        __import__("html").escape(NASTY).replace("&#x27;", "&#39;").replace("&quot;", "&#34;"),
        __import__("html").escape(NASTY).replace("&#x27;", "&apos;"),
        __import__("html").escape(NASTY, quote=False),
        __import__("unicodedata").normalize("NFD", NASTY),
        json.dumps(__import__("unicodedata").normalize("NFD", NASTY))[1:-1],
    ],
    ids=[
        "hex",
        "HEX",
        "json-upper-hex",
        "html-decimal",
        "html-apos",
        "html-no-quotes",
        "nfd",
        "nfd-json",
    ],
)
def test_other_spellings_of_a_secret_are_masked(reg: Registry, form: str) -> None:
    assert form != NASTY
    reg.register(NASTY)
    assert reg.scrub(f"<{form}>") == f"<{MASK}>"


def test_short_encoded_pieces_are_not_masked(reg: Registry) -> None:
    """A four-byte secret's base64 core is under :data:`MIN_ENCODED` characters at some
    alignments: those are left alone rather than masking common short runs of text."""
    reg.register("abcd")
    assert reg.scrub("YWJj and 616263") == "YWJj and 616263"

"""The one home for secrets: paths, masking, registration and the digest's view."""

from __future__ import annotations

from taskform import secrets


def test_leaves_by_dotted_path_with_empty_containers_as_leaves() -> None:
    value = {"a": {"b": 1, "c": [2, {"d": 3}]}, "e": {}, "f": []}
    assert secrets.leaves(value, "parameters") == {
        "parameters.a.b": 1,
        "parameters.a.c.0": 2,
        "parameters.a.c.1.d": 3,
        "parameters.e": {},
        "parameters.f": [],
    }


def test_secret_by_name_or_declared_path_at_under_or_above() -> None:
    assert secrets.is_secret("conn.Password")
    assert secrets.is_secret("api_key")
    assert not secrets.is_secret("region")
    declared = {"conn.dsn"}
    assert secrets.is_secret("conn.dsn", declared)
    assert secrets.is_secret("conn.dsn.0", declared)
    assert secrets.is_secret("conn", declared)
    assert not secrets.is_secret("conn.host", declared)


def test_declared_values_are_what_gets_registered() -> None:
    params = {"conn": {"dsn": "pg://u:pw@h/x", "host": "h"}, "list": ["s3cret-one", "plain"]}
    assert secrets.declared_values(params, {"conn.dsn", "list.0"}) == [
        "pg://u:pw@h/x",
        "s3cret-one",
    ]


def test_digest_view_masks_declared_paths_only() -> None:
    params = {"conn": {"dsn": "pg://u:pw@h/x", "host": "h"}, "token": "named-not-declared"}
    assert secrets.mask_declared(params, {"conn.dsn"}) == {
        "conn": {"dsn": secrets.MASK, "host": "h"},
        "token": "named-not-declared",
    }


def test_mask_named_writes_references_and_reports_them() -> None:
    params = {"auth": {"token": "abc", "user": "u"}, "empty_secret": "", "keys": [{"apiKey": 1}]}
    masked, found = secrets.mask_named(params, lambda path: path.upper().replace(".", "_"))
    assert masked == {
        "auth": {"token": "${secret:AUTH_TOKEN}", "user": "u"},
        "empty_secret": "",
        "keys": [{"apiKey": "${secret:KEYS_0_APIKEY}"}],
    }
    assert found == {"auth.token": "AUTH_TOKEN", "keys.0.apiKey": "KEYS_0_APIKEY"}

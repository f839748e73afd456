"""``rag serve`` options: address from flags or environment, login, refusals."""

from __future__ import annotations

import pytest

from rag.cli import main
from rag.cli.serve_cmd import DEFAULT_HOST, DEFAULT_PORT, parse_auth, parse_port, resolve_address


def test_address_defaults_to_loopback():
    assert resolve_address(None, None, {}) == (DEFAULT_HOST, DEFAULT_PORT) == ("127.0.0.1", 7860)


def test_address_from_environment_then_flags():
    environ = {"RAG_HOST": "0.0.0.0", "RAG_PORT": "8123"}
    assert resolve_address(None, None, environ) == ("0.0.0.0", 8123)
    assert resolve_address("::1", 9000, environ) == ("::1", 9000)


@pytest.mark.parametrize(
    ("value", "message"), [("http", "whole number, got 'http'"), (70000, "got 70000"), (0, "got 0")]
)
def test_bad_port_is_named(value, message):
    with pytest.raises(ValueError, match=message):
        parse_port(value)


def test_auth_splits_on_the_first_colon():
    assert parse_auth("ann:pa:ss") == ("ann", "pa:ss")
    assert parse_auth(None) is None


@pytest.mark.parametrize("value", ["ann", ":secret", "ann:"])
def test_bad_auth_is_refused(value):
    with pytest.raises(ValueError, match=f"USER:PASS, got '{value}'"):
        parse_auth(value)


def test_share_is_refused_before_anything_loads(capsys):
    assert main(["serve", "--share"]) == 2
    assert "--share is not supported" in capsys.readouterr().err


def test_bad_env_port_is_an_error_message_not_a_traceback(capsys, monkeypatch):
    monkeypatch.setenv("RAG_PORT", "eighty")
    assert main(["serve"]) == 2
    assert "rag serve: error: port must be a whole number, got 'eighty'" in capsys.readouterr().err

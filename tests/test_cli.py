"""The console script: plain-text help with an example per command, and exit codes that come
from the error hierarchy (2 configuration, 3 database unavailable, 65 bad data, 1 otherwise)."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from sports_analytics.cli import EXAMPLES, build_parser, main
from sports_analytics.exceptions import (
    BadData,
    CommandFailed,
    ConfigError,
    DatabaseUnavailable,
    IngestError,
    SportsAnalyticsError,
)

CLI = [str(Path(sys.executable).with_name("sports-analytics"))]


def _commands() -> list[str]:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    return sorted(sub.choices)  # type: ignore[arg-type]


def test_top_level_help_is_plain_text() -> None:
    out = subprocess.run([*CLI, "--help"], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0
    assert "``" not in out.stdout and ":class:" not in out.stdout
    assert out.stdout.splitlines()[2].startswith("Basketball analytics on PostgreSQL")
    assert "3 database unavailable" in out.stdout and "65 bad input data" in out.stdout
    for command in _commands():
        assert f"    {command}" in out.stdout, command


@pytest.mark.parametrize("command", _commands())
def test_every_command_has_a_description_and_an_example(command: str, capsys) -> None:
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    out = capsys.readouterr().out
    assert "``" not in out
    description = out.split("\n\n")[1]
    assert description[:1].isupper() and description.rstrip().endswith("."), description
    assert command in EXAMPLES
    assert f"example:\n  {EXAMPLES[command]}\n" in out
    assert EXAMPLES[command].startswith(f"sports-analytics {command}")


def test_examples_parse() -> None:
    parser = build_parser()
    for command, example in EXAMPLES.items():
        args = parser.parse_args(example.split()[1:])
        assert args.command == command


@pytest.mark.parametrize(("error", "code"), [
    (ConfigError, 2), (DatabaseUnavailable, 3), (BadData, 65), (IngestError, 65),
    (CommandFailed, 1), (SportsAnalyticsError, 1),
])
def test_exit_codes_come_from_the_hierarchy(error: type[SportsAnalyticsError], code: int) -> None:
    assert error.exit_code == code
    assert issubclass(error, SportsAnalyticsError)


def _refused_url() -> str:
    with socket.socket() as s:  # a port nobody listens on: connections are refused at once
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"postgresql://analyst:pw@127.0.0.1:{port}/sports_analytics"


def _run(monkeypatch, capsys, url: str, *argv: str) -> tuple[int, str]:
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.setenv("LOG_FORMAT", "json")
    monkeypatch.setenv("DB_WAIT_SECONDS", "0")
    code = main(list(argv))
    return code, capsys.readouterr().err


@pytest.mark.parametrize("argv", [["features"], ["predict"], ["seed-demo"], ["check"],
                                  ["migrate"]])
def test_database_unavailable_exits_3(monkeypatch, capsys, argv: list[str]) -> None:
    code, err = _run(monkeypatch, capsys, _refused_url(), *argv)
    assert code == 3, err
    failed = [json.loads(x) for x in err.splitlines() if '"command failed"' in x]
    assert len(failed) == 1 and failed[0]["exit_code"] == 3


def test_configuration_error_exits_2(monkeypatch, capsys) -> None:
    code, err = _run(monkeypatch, capsys, "mysql://nope", "check")
    assert code == 2 and "DATABASE_URL" in err


def test_bad_data_exits_65(monkeypatch, capsys, migrated_db_url: str, tmp_path: Path) -> None:
    bad = tmp_path / "games.csv"
    bad.write_text("season,game_date\n2025,2025-10-21\n")
    code, err = _run(monkeypatch, capsys, migrated_db_url, "ingest", str(bad))
    assert code == 65 and "missing column" in err


def test_nothing_to_do_exits_1(monkeypatch, capsys, migrated_db_url: str) -> None:
    code, err = _run(monkeypatch, capsys, migrated_db_url, "features", "--season", "2025")
    assert code == 1 and "no games in season 2025" in err

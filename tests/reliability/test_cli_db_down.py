"""Every database-touching CLI command, pointed at a database that refuses connections, fails
fast with a non-zero exit and exactly one JSON error line ("command failed"), never a crash
with a traceback.
"""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from tests.helpers.relharness import cli_env, cli_path, free_port, json_lines

pytestmark = pytest.mark.timeout(180)

CSV = """season,game_date,game_id,team,opponent,home_away,pts,fgm,fga,fg3m,fg3a,ftm,fta,oreb,reb,ast,stl,blk,tov,pf,min
2024,2024-11-02,X1,BOS,NYK,H,112,41,85,12,36,18,22,10,44,25,7,5,13,19,240
2024,2024-11-02,X1,NYK,BOS,A,105,38,79,12,36,17,21,10,44,25,7,5,13,19,240
"""


@pytest.mark.parametrize("args", [["migrate"], ["seed-demo"], ["ingest", "{csv}"], ["check"],
                                  ["features"], ["predict"]], ids=lambda a: a[0])
def test_command_with_database_down_fails_in_one_json_line(args: list[str], tmp_path: Path) -> None:
    csv = tmp_path / "games.csv"
    csv.write_text(CSV)
    url = f"postgresql://postgres@127.0.0.1:{free_port()}/nothing"  # nothing listens there
    env = cli_env(url, DB_WAIT_SECONDS="1", DB_CONNECT_TIMEOUT_SECONDS="1")
    started = time.monotonic()
    done = subprocess.run([cli_path(), *[a.format(csv=csv) for a in args]], env=env,
                          capture_output=True, text=True, timeout=60)
    took = time.monotonic() - started
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    assert took < 20, f"{args[0]} took {took:.1f}s to give up"
    assert "Traceback" not in output and "command crashed" not in output, output
    errors = [r for r in json_lines(output) if r.get("level") in {"error", "critical"}]
    assert len(errors) == 1 and errors[0].get("event") == "command failed", output

"""`hub import` and `hub connectors` through the real `hub` command on a scratch database."""

from __future__ import annotations

import json
from pathlib import Path

from tests.connectors import messages as msg
from tests.integration.test_cli import _env, _run

HEADER = (
    "source_reference,pnc_id,family_name,given_name,aliases,date_of_birth,sex,"
    "address_line1,address_town,address_from\n"
)


def test_bulk_import_end_to_end(scratch_database_url: str, tmp_path: Path) -> None:
    env = _env(scratch_database_url, tmp_path)
    for args in (["db", "upgrade"], ["demo", "load", "--count", "1"]):
        assert _run(args, env).returncode == 0
    listed = _run(["connectors", "list"], env)
    assert listed.returncode == 0
    assert "police" in listed.stdout

    rows = [
        "CSV-1,2001/0000001A,Brannock,Ilsa,,1985-01-02,FEMALE,3 Quarry Lane,Demoton,2023-05-01",
        "CSV-2,2001/0000002B,Tiverly,Osk,Oz Tiv,1990-11-30,MALE,,,",
        "CSV-3,2001/0000003C,Marrow,Jed,,1988-02-31,MALE,,,",  # no such date
        "CSV-4,2001/0000004D,Short,Row",  # too few fields (a truncated file)
        "CSV-1,2001/0000001A,Brannock,Ilsa,,1985-01-02,FEMALE,,,",  # sent again
    ]
    data = (HEADER + "\n".join(rows[:2]) + "\n").encode()
    data += "CSV-5,2001/0000005E,Gr\u00fcn,Ada,,1970-01-01,FEMALE,,,\n".encode("latin-1")
    data += ("\n".join(rows[2:]) + "\n").encode()
    source = tmp_path / "nominals.csv"
    source.write_bytes(data)
    rejects = tmp_path / "rejects.jsonl"
    result = _run(
        [
            "import",
            "police",
            str(source),
            "--agency",
            "DEMO-POL",
            "--rejects",
            str(rejects),
            "--json",
        ],
        env,
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert (summary["accepted"], summary["duplicates"], summary["rejected"]) == (2, 1, 3)
    reasons = {r["position"]: " ".join(r["problems"]) for r in summary["reasons"]}
    assert "UTF-8" in reasons["line 4"]
    assert "date_of_birth" in reasons["line 5"]
    assert "fields" in reasons["line 6"]
    assert len(rejects.read_text().splitlines()) == 3
    assert "Importing" in result.stderr  # the progress bar, on stderr

    # The same file again, record by record this time: everything stored is a duplicate.
    again = _run(
        ["import", "police", str(source), "--agency", "DEMO-POL", "--one-at-a-time", "--json"],
        env,
    )
    assert again.returncode == 0, again.stderr
    summary = json.loads(again.stdout.strip().splitlines()[-1])
    assert (summary["accepted"], summary["duplicates"], summary["rejected"]) == (0, 3, 3)

    letters = _run(["connectors", "dead-letters", "--json"], env)
    assert letters.returncode == 0, letters.stderr
    dead = [json.loads(line) for line in letters.stdout.splitlines()]
    assert len(dead) == 6  # each rejected row, each time it was sent
    assert _run(["connectors", "replay", dead[0]["id"]], env).returncode == 1

    # A JSON Lines file that ends mid-message: the good lines go in, the cut one is rejected.
    lines = tmp_path / "nominals.jsonl"
    good = json.dumps(msg.nominal("J-1", pnc="2001/0000009Z"))
    lines.write_text(good + "\n" + good[:40])
    result = _run(["import", "police", str(lines), "--agency", "DEMO-POL"], env)
    assert result.returncode == 0, result.stderr
    assert "accepted 1 " in result.stdout
    assert "rejected 1" in result.stdout

    wrong = _run(["import", "police", str(lines), "--agency", "DEMO-PRB"], env)
    assert wrong.returncode == 1
    assert "takes messages from RA_POLICE only" in wrong.stderr

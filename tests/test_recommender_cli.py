import re
import subprocess
import sys

import pytest

from recommender.__main__ import main

SCORE_LINE = re.compile(r"Movie #(\d+): (\d\.\d{3})")


def test_cli_output_format(capsys):
    assert main(["--epochs", "3"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "Training..."
    for epoch, line in enumerate(lines[1:4], start=1):
        assert re.fullmatch(rf"Epoch {epoch}, loss = \d+\.\d{{4}}", line), line
    assert lines[4] == "Predicted scores for user #1:"
    scores = [SCORE_LINE.fullmatch(line) for line in lines[5:]]
    assert [int(match[1]) for match in scores] == [101, 102, 103, 104]
    assert all(0.0 <= float(match[2]) <= 1.0 for match in scores)


def test_cli_rejects_unknown_user(capsys):
    assert main(["--user", "9"]) == 2
    assert "unknown user 9" in capsys.readouterr().err


def test_cli_rejects_bad_epochs(capsys):
    assert main(["--epochs", "0"]) == 2
    assert "epochs must be at least 1" in capsys.readouterr().err


@pytest.mark.e2e
def test_module_runs_as_script():
    completed = subprocess.run(
        [sys.executable, "-m", "recommender", "--epochs", "2", "--user", "3"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert "Predicted scores for user #3:" in completed.stdout

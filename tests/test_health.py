"""The heartbeat file and ``python -m bot health``'s checks, in process."""

from __future__ import annotations

import os
import socket
import time

import pytest

from bot import health
from bot.health import HEARTBEAT_NAME, HealthSettings, Heartbeat, check_health


def settings(tmp_path, **values) -> HealthSettings:
    return HealthSettings(_env_file=None, data_dir=tmp_path, **values)


def test_fresh_heartbeat_is_healthy(tmp_path):
    Heartbeat(tmp_path).beat()
    healthy, message = check_health(settings(tmp_path))
    assert healthy
    assert message.startswith("healthy: last poll")


def test_stale_heartbeat_is_unhealthy(tmp_path):
    Heartbeat(tmp_path).beat()
    old = time.time() - 120
    os.utime(tmp_path / HEARTBEAT_NAME, (old, old))
    healthy, message = check_health(settings(tmp_path, health_max_age_seconds=60))
    assert not healthy
    assert "120 s ago" in message


def test_missing_heartbeat_is_unhealthy(tmp_path):
    healthy, message = check_health(settings(tmp_path))
    assert not healthy
    assert "no heartbeat file" in message


def test_heartbeat_writes_at_most_once_per_interval(tmp_path):
    heartbeat = Heartbeat(tmp_path, interval=60)
    heartbeat.beat()
    (tmp_path / HEARTBEAT_NAME).write_text("marker")
    heartbeat.beat()
    assert (tmp_path / HEARTBEAT_NAME).read_text() == "marker"


@pytest.mark.parametrize("listen", ["127.0.0.1", "0.0.0.0"])
def test_webhook_health_connects_to_port(tmp_path, listen):
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        values = {"bot_mode": "webhook", "webhook_listen": listen, "webhook_port": port}
        assert check_health(settings(tmp_path, **values))[0]
    healthy, message = check_health(settings(tmp_path, **values))
    assert not healthy
    assert f"127.0.0.1:{port}" in message


def test_invalid_setting_is_one_line_per_error(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("BOT_MODE", "nonsense")
    monkeypatch.setenv("HEALTH_MAX_AGE_SECONDS", "abc")
    assert health.main() == 1
    lines = capsys.readouterr().err.splitlines()
    assert lines[0].startswith("unhealthy: invalid setting BOT_MODE:")
    assert lines[1].startswith("unhealthy: invalid setting HEALTH_MAX_AGE_SECONDS:")
    assert len(lines) == 2


def test_heartbeat_from_the_future_is_unhealthy(monkeypatch, tmp_path, capsys):
    heartbeat = tmp_path / health.HEARTBEAT_NAME
    heartbeat.write_text("0\n")
    future = time.time() + 3600
    os.utime(heartbeat, (future, future))
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    assert health.main() == 1
    assert "in the future" in capsys.readouterr().err

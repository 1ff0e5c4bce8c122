"""The page's server as README starts it: reachable from this machine only, limits as the app's."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from app.uploads import MAX_UPLOAD_MB

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / ".streamlit" / "config.toml"


def test_upload_limit_of_the_server_is_the_apps() -> None:
    tomllib = pytest.importorskip("tomllib")
    config = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] == MAX_UPLOAD_MB
    assert config["browser"]["gatherUsageStats"] is False


@pytest.mark.slow
def test_started_as_readme_says_it_listens_on_this_machine_only(tmp_path: Path) -> None:
    psutil = pytest.importorskip("psutil")
    from test_browser import free_port, wait_until_healthy

    port = free_port()
    log = tmp_path / "streamlit.log"
    with open(log, "wb") as out:
        # README's command, with a free port instead of 8501.
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app/streamlit_app.py", "--server.port", str(port)],
            cwd=ROOT, env={**os.environ, "FUNDSTELLE_INDEX": str(tmp_path / "index")}, stdout=out,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_healthy(f"http://127.0.0.1:{port}", process, log)
            listening = {connection.laddr.ip for connection in psutil.Process(process.pid).net_connections("inet")
                         if connection.status == psutil.CONN_LISTEN}
        finally:
            process.terminate()
            process.wait(timeout=15)
    assert listening == {"127.0.0.1"}
    printed = log.read_text(errors="replace")
    assert "Network URL" not in printed and "External URL" not in printed


def started_listening(command: list[str], cwd: Path, port: int, tmp_path: Path) -> tuple[set[str], str, list[str]]:
    """Start the page with ``command`` in ``cwd``; its listening addresses, its log and its command line; stop it."""
    psutil = pytest.importorskip("psutil")
    from test_browser import wait_until_healthy

    log = tmp_path / "streamlit.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=cwd, env={**os.environ, "FUNDSTELLE_INDEX": str(tmp_path / "index")},
                                   stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_until_healthy(f"http://127.0.0.1:{port}", process, log)
            running = psutil.Process(process.pid)
            listening = {connection.laddr.ip for connection in running.net_connections("inet")
                         if connection.status == psutil.CONN_LISTEN}
            cmdline = running.cmdline()
        finally:
            process.terminate()
            process.wait(timeout=15)
    return listening, log.read_text(errors="replace"), cmdline


@pytest.mark.slow
def test_fundstelle_app_keeps_the_safe_settings_from_any_folder(tmp_path: Path) -> None:
    """Issue 23: `streamlit run /path/app/streamlit_app.py` from another folder listened everywhere and sent usage
    statistics; `fundstelle app` gives the settings of .streamlit/config.toml wherever it starts."""
    from test_browser import free_port

    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    port = free_port()
    listening, printed, cmdline = started_listening(
        [sys.executable, "-m", "fundstelle", "app", "--server.port", str(port)], elsewhere, port, tmp_path)
    assert listening == {"127.0.0.1"}
    assert "Network URL" not in printed and "External URL" not in printed
    assert "usage statistics" not in printed.lower()
    assert "--browser.gatherUsageStats=false" in cmdline and "--client.toolbarMode=viewer" in cmdline


def test_fundstelle_app_passes_every_setting_of_the_config(monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    tomllib = pytest.importorskip("tomllib")
    from fundstelle import cli

    command = cli.app_command(["--server.port", "9999"])
    assert command[:4] == [sys.executable, "-m", "streamlit", "run"] and Path(command[4]) == ROOT / "app" / \
        "streamlit_app.py"
    config = tomllib.loads(CONFIG.read_text(encoding="utf-8"))
    expected = {f"--{section}.{key}={str(value).lower() if isinstance(value, bool) else value}"
                for section, settings in config.items() for key, value in settings.items()}
    assert expected <= set(command) and "--server.address=127.0.0.1" in command
    assert command[-2:] == ["--server.port", "9999"]  # the caller's flags last: they win
    # Installed without the repository beside it, it says what to do instead of starting a bare page.
    monkeypatch.setattr(cli, "APP_SCRIPT", tmp_path / "app" / "streamlit_app.py")
    assert cli.main(["app"]) == 2
    err = capsys.readouterr().err
    assert "the page's files are not beside this installation of fundstelle" in err and "pip install -e" in err

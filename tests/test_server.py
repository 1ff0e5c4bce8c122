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

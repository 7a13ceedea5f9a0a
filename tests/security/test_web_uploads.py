"""Upload size caps (issue 9, item 2, the dashboard): a body over its route's cap is refused with 413 and
a Chinese page while it streams — on its Content-Length at once, or counted chunk by chunk when there
is none — before Starlette or python-multipart buffers it; each uploaded file is also held to its
kind's cap; nothing of a refused upload is stored."""

from __future__ import annotations

import os
import select
import socket
import sys
import time
from pathlib import Path

from sqlalchemy import func
from sqlalchemy import select as sql_select

from congress import limits
from congress.models import CongressSession
from congress.web.security import body_cap
from tests.security.conftest import SAMPLE, Site, csrf
from tests.servers import background_server, free_port

MB = 1024 * 1024
UPLOAD_CAP = body_cap("POST", "/sessions/upload")


def _stored(site: Site) -> list[Path]:
    root = site.settings.upload_dir
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_the_upload_route_is_capped_by_its_two_files() -> None:
    assert UPLOAD_CAP < limits.MAX_REQUEST_BYTES
    assert UPLOAD_CAP >= limits.MAX_FILE_BYTES["session"] + limits.MAX_FILE_BYTES["roster"]
    # below Starlette's in-memory spool (1 MiB): an upload under the cap never reaches the disk either
    assert UPLOAD_CAP < 1 * MB
    assert body_cap("POST", "/sessions/qingshan-18-3/tallies") == limits.MAX_REQUEST_BYTES


def test_an_upload_over_the_cap_is_refused_with_413_and_nothing_is_stored(sqlite_site: Site) -> None:
    site = sqlite_site
    staff = site.client("staff_a")
    response = staff.post("/sessions/upload", data={"csrf_token": csrf(staff)}, files={
        "session_file": ("session.yaml", b"x" * (5 * MB), "application/x-yaml"),
        "roster_file": ("roster.csv", (SAMPLE / "roster.csv").read_bytes(), "text/csv"),
    })
    assert response.status_code == 413
    assert "提交的内容超过了" in response.text and "没有保存任何内容" in response.text
    assert response.headers["x-content-type-options"] == "nosniff"
    assert _stored(site) == []  # was stored twice
    with site.db() as db:
        assert db.scalar(sql_select(func.count()).select_from(CongressSession)) == 0


def test_each_file_is_held_to_its_kinds_cap(sqlite_site: Site) -> None:
    site = sqlite_site
    staff = site.client("staff_a")
    session_text = (SAMPLE / "session.yaml").read_bytes()
    padded = session_text + b"\n#" + b" " * (limits.MAX_FILE_BYTES["session"] - len(session_text))
    response = staff.post("/sessions/upload", data={"csrf_token": csrf(staff)}, files={
        "session_file": ("大会.yaml", padded, "application/x-yaml"),
        "roster_file": ("roster.csv", (SAMPLE / "roster.csv").read_bytes(), "text/csv"),
    })
    assert len(padded) < UPLOAD_CAP  # the request itself is under its cap: the file's own cap refuses it
    assert response.status_code == 413
    assert "文件“大会.yaml”超过了会议文件 256 KB 的上限" in response.text
    assert _stored(site) == []


def test_the_json_checks_get_json_when_refused(sqlite_site: Site) -> None:
    site = sqlite_site
    staff = site.client("staff_a")
    response = staff.post("/sessions/qingshan-18-3/tallies/check", content=b"a=" + b"1" * (3 * MB),
                          headers={"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json",
                                   "X-CSRF-Token": csrf(staff)})
    assert response.status_code == 413
    assert "上限" in response.json()["problems"][0]["problem"]


# --- against a real server: the body is refused while it streams -------------------------------------


def _read_answer(sock: socket.socket, seconds: float = 10) -> bytes:
    """The whole answer: the server closes the connection after refusing a body it did not read."""
    sock.settimeout(seconds)
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    return data


def test_a_200_mb_upload_is_cut_off_on_a_real_server(sqlite_site: Site, tmp_path: Path) -> None:
    site = sqlite_site
    port = free_port()
    env = {**os.environ, "CONGRESS_DATABASE_URL": site.settings.database_url,
           "CONGRESS_UPLOAD_DIR": str(site.settings.upload_dir), "CONGRESS_LOG_DIR": str(site.settings.log_dir),
           "CONGRESS_OUTPUT_DIR": str(site.settings.output_dir)}
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "congress.web.app:create_app", "--host", "127.0.0.1",
           "--port", str(port), "--log-level", "warning"]
    with background_server(cmd, log_path=tmp_path / "uvicorn.log", ready_url=f"http://127.0.0.1:{port}/healthz",
                           env=env):
        head = (b"POST /sessions/upload HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"Content-Type: multipart/form-data; boundary=xyz\r\n")
        # 1. a declared 200 MB: refused on the header, before a byte of the body is read
        with socket.create_connection(("127.0.0.1", port)) as sock:
            started = time.monotonic()
            sock.sendall(head + f"Content-Length: {200 * MB}\r\n\r\n".encode() + b"x" * 65536)
            answer = _read_answer(sock)
            assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
            assert time.monotonic() - started < 2
            assert "提交的内容超过了".encode() in answer
        # 2. no length (chunked): counted as it arrives, cut off just past the cap
        sent = 0
        with socket.create_connection(("127.0.0.1", port)) as sock:
            part = (b'--xyz\r\nContent-Disposition: form-data; name="session_file"; filename="big.yaml"\r\n'
                    b"Content-Type: application/octet-stream\r\n\r\n")
            sock.sendall(head + b"Transfer-Encoding: chunked\r\n\r\n" + b"%x\r\n" % len(part) + part + b"\r\n")
            chunk = b"%x\r\n" % 65536 + b"y" * 65536 + b"\r\n"
            answer = b""
            try:
                while sent < 200 * MB:
                    readable, _, _ = select.select([sock], [], [], 0)
                    if readable:
                        break
                    sock.sendall(chunk)
                    sent += 65536
            except (BrokenPipeError, ConnectionResetError):
                pass
            answer = _read_answer(sock)
        assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
        # the server stopped reading at the cap; what the client got out beyond it sat in socket buffers
        assert sent < UPLOAD_CAP + 16 * MB, sent
    assert _stored(site) == []


def test_odd_session_files_and_names_are_input_errors_not_500s(sqlite_site: Site) -> None:
    site = sqlite_site
    staff = site.client("staff_a", raise_server_exceptions=False)
    token = csrf(staff)
    roster = (SAMPLE / "roster.csv").read_bytes()
    sample = (SAMPLE / "session.yaml").read_text(encoding="utf-8")
    cases = [
        ("session.yaml", sample.replace("roster: roster.csv", "roster: ..").encode(), "roster.csv"),
        ("session.yaml", sample.replace("roster: roster.csv", "roster: /etc/passwd").encode(), "roster.csv"),
        ("session.yaml", b"[" * 5000, "roster.csv"),
        ("session.yaml", b"plan_date: 2026-13-45\nroster: x.csv\n", "roster.csv"),
        ("session.yaml", b"\x00\xff\xfe", "roster.csv"),
        ("名" * 200 + ".yaml", sample.encode(), "r" * 300 + ".csv"),
        ("..", sample.encode(), ".."),
    ]
    assert "roster: roster.csv" in sample
    for name, body, roster_name in cases:
        response = staff.post("/sessions/upload", data={"csrf_token": token}, files={
            "session_file": (name, body, "application/x-yaml"), "roster_file": (roster_name, roster, "text/csv")},
            follow_redirects=False)
        assert response.status_code in (303, 422), (name[:20], body[:40], response.status_code)
        assert "root:" not in response.text  # /etc/passwd is never read
    for folder in site.settings.upload_dir.iterdir():  # everything stayed inside its own upload folder
        assert folder.is_dir() and folder.parent == site.settings.upload_dir

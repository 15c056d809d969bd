"""Secret links stay out of the logs (optout/infra/logredact.py): Django's request
warnings and gunicorn's access log show /r/[redacted]/ instead of a status link's token.
"""

import logging
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import requests
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from gunicorn.config import Config

from config.gunicorn import RedactingLogger, logger_class
from optout.infra.logredact import redact

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
# Names of URL parameters that carry a secret: the status/confirm tokens, and the
# set-password link's user id and token (Django's password-reset token).
SECRET_PARAMETERS = {"token", "uidb64"}


def token() -> str:
    return secrets.token_urlsafe(24)


def test_a_404_on_a_status_link_is_logged_without_the_token(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    secret = token()
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get(f"/r/{secret}/").status_code == 404
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.getMessage() == "Not Found: /r/[redacted]/"
    assert secret not in caplog.text


def test_a_guessed_confirmation_link_is_logged_without_the_token(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    secret = token()
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.post(f"/confirm/{secret}/").status_code == 404
    assert "Not Found: /confirm/[redacted]/" in caplog.text
    assert secret not in caplog.text


def test_what_else_the_console_handler_writes_is_redacted_too(
    capsys: pytest.CaptureFixture[str],
) -> None:
    secret = token()
    # Our own code, a library, anyone: the console handler under the root logger filters.
    [console] = [h for h in logging.getLogger().handlers if h.get_name() == "console"]
    record = logging.LogRecord(
        "somewhere", logging.INFO, __file__, 1, "sent %s", (f"/r/{secret}/",), None
    )
    console.handle(record)
    assert secret not in capsys.readouterr().err


def _secret_routes() -> list[str]:
    """Every URL pattern with a secret in its path, reversed with a sample secret."""
    found: list[str] = []

    def walk(patterns: list[URLPattern | URLResolver], namespace: str) -> None:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, inner)
                continue
            converters = set(pattern.pattern.converters)
            if converters & SECRET_PARAMETERS and pattern.name:
                kwargs = {name: "S3cr3tS3cr3tS3cr3t" for name in converters}
                found.append(reverse(f"{namespace}{pattern.name}", kwargs=kwargs))

    walk(get_resolver().url_patterns, "")
    return found


def test_every_path_that_carries_a_secret_is_redacted() -> None:
    routes = _secret_routes()
    assert "/r/S3cr3tS3cr3tS3cr3t/" in routes
    assert "/confirm/S3cr3tS3cr3tS3cr3t/" in routes
    assert "/admin/set-password/S3cr3tS3cr3tS3cr3t/S3cr3tS3cr3tS3cr3t/" in routes
    for path in routes:
        line = f'GET {path}?x=1 HTTP/1.1" 200 "https://optout.example.org{path}"'
        assert "S3cr3t" not in redact(line), path
        assert "[redacted]" in redact(line)


@pytest.mark.parametrize(
    "text",
    [
        "GET /?q=bees HTTP/1.1",
        "GET /static/optout/site.css HTTP/1.1",
        "POST /api/v1/check HTTP/1.1",
        "GET /datasets/dif/removals.csv HTTP/1.1",
        "GET /admin/optout/removalrequest/?state=all HTTP/1.1",
    ],
)
def test_paths_without_a_secret_are_left_alone(text: str) -> None:
    assert redact(text) == text


def test_the_actions_on_a_status_link_stay_readable() -> None:
    assert redact("POST /r/abc_DEF-123/cancel/ HTTP/1.1") == "POST /r/[redacted]/cancel/ HTTP/1.1"
    assert redact("GET /r/abc/receipt.csv") == "GET /r/[redacted]/receipt.csv"
    assert (
        redact("GET /admin/set-password/MQ/set-password/ HTTP/1.1")
        == "GET /admin/set-password/[redacted] HTTP/1.1"
    )


# gunicorn's access log


def test_gunicorn_runs_with_the_redacting_logger_from_the_procfile() -> None:
    assert logger_class is RedactingLogger
    for procfile in ("Procfile", "Procfile.dev"):
        [web] = [
            line for line in (ROOT / procfile).read_text().splitlines() if line.startswith("web:")
        ]
        assert " -c config/gunicorn.py " in web, procfile


def test_gunicorns_access_record_carries_no_token(tmp_path: Path) -> None:
    secret, referred_from = token(), token()
    log_file = tmp_path / "access.log"
    config = Config()
    config.set("accesslog", str(log_file))
    logger = RedactingLogger(config)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/r/{secret}/receipt.csv?download=1",
        "PATH_INFO": f"/r/{secret}/receipt.csv",
        "QUERY_STRING": "download=1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "203.0.113.9",
        "HTTP_REFERER": f"https://optout.example.org/r/{referred_from}/",
        "HTTP_USER_AGENT": "curl/8",
    }
    request = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])
    response = SimpleNamespace(status="200 OK", sent=120, headers=[])
    logger.access(response, request, environ, timedelta(milliseconds=3))
    for handler in logger.access_log.handlers:
        handler.flush()
    line = log_file.read_text()
    assert '"GET /r/[redacted]/receipt.csv?download=1 HTTP/1.1" 200 120' in line
    assert '"https://optout.example.org/r/[redacted]/"' in line
    assert secret not in line and referred_from not in line


def database_url() -> str:
    """The test database (pytest-django's test_<name>), as the server must reach it."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    auth = db["USER"] + (f":{db['PASSWORD']}" if db["PASSWORD"] else "")
    return f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_a_running_gunicorn_logs_a_status_link_without_its_token(tmp_path: Path) -> None:
    port, secret = _free_port(), token()
    access, errors = tmp_path / "access.log", tmp_path / "error.log"
    command = [sys.executable, "-m", "gunicorn", "optout.wsgi", "-c", "config/gunicorn.py"]
    command += ["--bind", f"127.0.0.1:{port}", "--workers", "1", "--access-logfile", str(access)]
    command += ["--error-logfile", str(errors)]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings", "DATABASE_URL": database_url()}
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = requests.get(f"http://127.0.0.1:{port}/r/{secret}/", timeout=5)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline, errors.read_text()
                time.sleep(0.2)
        assert answer.status_code == 404
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    logged = access.read_text()
    assert re.search(r'"GET /r/\[redacted\]/ HTTP/1\.1" 404 ', logged), logged
    assert secret not in logged + errors.read_text()

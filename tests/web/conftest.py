"""Web fixtures: the app on SQLite and on PostgreSQL, clients, accounts, tokens, a live server.

PostgreSQL comes from ``TRUSTFLUX_TEST_DATABASE_URL`` (own schema per session); Chromium from
``TRUSTFLUX_CHROMIUM`` (default /usr/bin/chromium). Missing or unreachable: skipped with the
reason, except under CI where an unreachable database or a missing browser fails.
"""

from __future__ import annotations

import os
import re
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pytest
import uvicorn
from argon2 import PasswordHasher
from fastapi import FastAPI
from fastapi.testclient import TestClient

from db_fixtures import db_url
from trustflux.accounts import Passwords, Role
from trustflux.config import Settings
from trustflux.gate import sync_subscribers
from trustflux.web import create_app
from trustflux.web.services import Services

__all__ = ["db_url"]  # the store on SQLite and on PostgreSQL, shared with the other suites

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery staple"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def _settings(home: Path, database_url: str, base_url: str = "http://testserver") -> Settings:
    return Settings(
        home=home,
        register_dir=ROOT / "register",
        database_url=database_url,
        environment="test",
        public_base_url=base_url,
        secret_key="test-secret-key-that-is-long-enough-0123456789",  # type: ignore[arg-type]
        governance_refresh_seconds=0,  # the gate sees a DPO decision on the next request
    )


def fast_passwords() -> Passwords:
    """Argon2id with test-sized cost: the production default takes ~0.1 s per hash."""
    return Passwords(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture(scope="session")
def app(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    application = create_app(
        _settings(tmp_path_factory.mktemp("web-home"), db_url), passwords=fast_passwords()
    )
    with TestClient(application):  # runs the lifespan: batch threads, notices
        yield application


@pytest.fixture
def services(app: FastAPI) -> Services:
    found: Services = app.state.services
    return found


@pytest.fixture
def client(app: FastAPI) -> TestClient:
    """A fresh browser: its own cookie jar."""
    return TestClient(app, follow_redirects=False)


def _csrf_of(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no anti-forgery token in the page"
    return match.group(1)


@pytest.fixture
def csrf_of() -> Callable[[str], str]:
    """``csrf_of(html)``: the anti-forgery token of the first form in a page."""
    return _csrf_of


@dataclass(frozen=True)
class Person:
    subscriber_id: str
    username: str
    password: str = PASSWORD


def add_subscriber(services: Services, subscriber_id: str) -> Person:
    """The subscriber, with a contract running since 2024 and an account (``PASSWORD``)."""
    sync_subscribers(
        services.engine,
        pa.table(
            {
                "subscriber_id": [subscriber_id],
                "contract_start": pa.array([date(2024, 1, 1)], pa.date32()),
                "contract_end": pa.array([None], pa.date32()),
            }
        ),
        now=datetime.now(UTC),
    )
    username = f"{subscriber_id.lower()}@example.com"
    services.accounts.create(username, PASSWORD, Role.SUBSCRIBER, subscriber_id)
    return Person(subscriber_id, username)


@pytest.fixture
def make_subscriber(services: Services) -> Callable[[], Person]:
    """A subscriber with a running contract and an account."""

    def make() -> Person:
        return add_subscriber(services, f"W{uuid.uuid4().hex[:12]}")

    return make


@pytest.fixture
def make_staff(services: Services) -> Callable[[Role], Person]:
    """``make_staff(Role.DPO)``: a staff account (no subscriber id) that signs in like anyone."""

    def make(role: Role) -> Person:
        username = f"{role.value}-{uuid.uuid4().hex[:8]}@fluxtel.example"
        services.accounts.create(username, PASSWORD, role)
        return Person("", username)

    return make


def _login(client: TestClient, person: Person, lang: str = "en") -> None:
    page = client.get(f"/login?lang={lang}")
    response = client.post(
        f"/login?lang={lang}",
        data={
            "username": person.username,
            "password": person.password,
            "csrf_token": _csrf_of(page.text),
            "next": "/account",
        },
    )
    assert response.status_code == 303 and "failed" not in response.headers["location"]


@pytest.fixture
def login() -> Callable[..., None]:
    """``login(client, person, lang="en")``: sign in through the form, as a browser would."""
    return _login


@pytest.fixture
def signed_in(
    client: TestClient, make_subscriber: Callable[[], Person]
) -> tuple[TestClient, Person]:
    person = make_subscriber()
    _login(client, person)
    return client, person


@pytest.fixture
def bearer(services: Services) -> Callable[[Role], dict[str, str]]:
    """``bearer(role)``: Authorization headers of a new API token with that role."""

    def make(role: Role) -> dict[str, str]:
        _, secret = services.accounts.create_token(
            f"test {role.value} {uuid.uuid4().hex[:6]}", role
        )
        return {"Authorization": f"Bearer {secret}"}

    return make


# -- live server and browser (Playwright with Debian's Chromium) ---------------------------------
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class LiveServer:
    url: str
    app: FastAPI

    @property
    def services(self) -> Services:
        found: Services = self.app.state.services
        return found


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """One uvicorn server per session on a free localhost port (SQLite), in a thread."""
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    home = tmp_path_factory.mktemp("live-home")
    application = create_app(
        _settings(home, f"sqlite:///{home / 'trustflux.db'}", url), passwords=fast_passwords()
    )
    server = uvicorn.Server(
        uvicorn.Config(application, host="127.0.0.1", port=port, log_level="warning")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the live server did not start")
        time.sleep(0.05)
    yield LiveServer(url, application)
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def chromium() -> Iterator[object]:
    path = os.environ.get("TRUSTFLUX_CHROMIUM", "/usr/bin/chromium")
    if not Path(path).is_file():
        message = f"Chromium not found at {path} (set TRUSTFLUX_CHROMIUM)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message + ": browser tests skipped")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


# -- an app over the small world's store (rights execution, one-time codes, diagnoses) ----------
class MovableClock:
    """A clock tests set (the app's 'now', inside the world's days)."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class WorldApp:
    app: FastAPI
    clock: MovableClock
    world: Path

    @property
    def services(self) -> Services:
        found: Services = self.app.state.services
        return found


@pytest.fixture(scope="session")
def world_app(
    db_url: str, small_world: tuple[Settings, Path], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[WorldApp]:
    """The web service over a private copy of the small world's home, its subscribers synced
    for the gate, on a clock set inside the world's days."""
    import shutil

    from trustflux.db import create_db_engine, upgrade
    from trustflux.operations.gate import gate_subscribers

    settings, world = small_world
    home = tmp_path_factory.mktemp("web-world") / "home"
    shutil.copytree(settings.home, home, ignore=shutil.ignore_patterns("tmp"))
    clock = MovableClock(datetime(2026, 3, 3, 12, 0, tzinfo=UTC))
    web_settings = _settings(home, db_url)
    engine = create_db_engine(web_settings.sqlalchemy_url)
    upgrade(engine)
    sync_subscribers(engine, gate_subscribers(web_settings), now=clock.now)
    engine.dispose()
    application = create_app(web_settings, clock=clock, passwords=fast_passwords())
    with TestClient(application):
        yield WorldApp(application, clock, world)

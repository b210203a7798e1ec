"""The app factory: one FastAPI application per process, built from ``Settings``."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

from fastapi import APIRouter, FastAPI
from fastapi.staticfiles import StaticFiles

from trustflux import __version__
from trustflux.accounts import Accounts, Passwords
from trustflux.audit import AuditTrail
from trustflux.config import Settings, load_settings
from trustflux.db import create_db_engine, require_current, upgrade
from trustflux.gate import Gate
from trustflux.ledger import Ledger, utc_now
from trustflux.operations.tickets import TicketDesk
from trustflux.register import Register, load_register
from trustflux.rights.requests import RequestBook
from trustflux.web import errors
from trustflux.web.middleware import SecurityHeaders
from trustflux.web.render import make_templates
from trustflux.web.routes import account, agent, api, auth, banner, dpo, pages, rights
from trustflux.web.security import Signer, resolve_secret
from trustflux.web.services import Services

STATIC_DIR = Path(__file__).parent / "static"
ROUTERS: tuple[APIRouter, ...] = (
    api.router,  # first: its two hot paths are matched before anything else
    banner.router,
    auth.router,
    account.router,
    rights.router,
    dpo.router,
    agent.router,
    pages.router,
    api.health,
)
"""Every router of the service (the route audit test walks these)."""

DESCRIPTION = """
The trust center of trustflux: transparency pages and trust badges generated from the
processing register, the consent and objection ledger (ISO/IEC TS 27560 records, append-only),
the policy gate every processing job asks, the subscribers' account area and the cookie banner.

Authentication: a session cookie (sign in at `/login`) for people, or
`Authorization: Bearer tf_...` for jobs (`trustflux tokens create`).
"""


def create_app(
    settings: Settings,
    *,
    register: Register | None = None,
    clock: Callable[[], datetime] = utc_now,
    migrate: bool = True,
    passwords: Passwords | None = None,
) -> FastAPI:
    """The web service for ``settings``; migrates the database first unless told not to."""
    register = register or load_register(settings.register_dir)
    engine = create_db_engine(settings.sqlalchemy_url, pool_size=8)
    if migrate:
        upgrade(engine)
    else:
        require_current(engine)
    base_url = settings.public_base_url.rstrip("/")
    trail = AuditTrail(engine)
    services = Services(
        settings=settings,
        register=register,
        engine=engine,
        ledger=Ledger(engine, register, clock=clock, audit=trail),
        gate=Gate(
            engine, register, clock=clock, refresh_seconds=settings.governance_refresh_seconds
        ),
        accounts=Accounts(engine, passwords, clock=clock),
        signer=Signer(resolve_secret(settings)),
        templates=make_templates(),
        base_url=base_url,
        secure_cookies=base_url.startswith("https://"),
        trail=trail,
        clock=clock,
        book=RequestBook(engine, trail, clock, register=register),
        desk=TicketDesk(engine, trail, clock, settings=settings),
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        services.ledger.notices  # noqa: B018 - store the register's notice texts before serving
        services.start()
        try:
            yield
        finally:
            services.stop()
            engine.dispose()

    app = FastAPI(
        title="trustflux trust center",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.services = services
    errors.install(app)
    app.add_middleware(SecurityHeaders)  # type: ignore[arg-type]
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    for router in ROUTERS:
        app.include_router(router)
    return app


def app_from_env() -> FastAPI:
    """Factory for ``uvicorn --factory`` workers: settings from the environment, no migration
    (``trustflux serve`` migrates once before starting them)."""
    return create_app(load_settings(), migrate=False)

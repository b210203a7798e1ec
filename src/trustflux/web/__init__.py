"""The trust center web service (FastAPI): pages, JSON API, cookie banner, account area."""

from trustflux.web.app import app_from_env, create_app

__all__ = ["app_from_env", "create_app"]

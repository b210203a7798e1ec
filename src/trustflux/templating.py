"""Offline HTML documents (the statistics report, the Art. 30 record) from templates shipped
in the package: always escaped, strict about missing names, with the shared filters."""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from typing import Any

import jinja2


def humanize(value: object) -> str:
    """``snake_case`` words for people: ``length_of_stay`` -> ``Length of stay``."""
    return str(value).replace("_", " ").capitalize()


def package_template(
    package: str, name: str, filters: dict[str, Callable[..., Any]]
) -> jinja2.Template:
    """``package``'s ``templates/name`` with ``humanize`` and the given filters."""
    source = resources.files(package).joinpath("templates", name)
    environment = jinja2.Environment(
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    environment.filters.update({"humanize": humanize, **filters})
    return environment.from_string(source.read_text(encoding="utf-8"))

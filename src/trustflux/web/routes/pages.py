"""Public pages: home, transparency per purpose, trust badges (page, embed, image), rights, demo."""

from __future__ import annotations

from html import escape

from fastapi import APIRouter, Request
from fastapi.responses import Response

from trustflux.errors import RecordNotFoundError
from trustflux.web.deps import OptionalPrincipal, Public, ServicesDep, TranslatorDep
from trustflux.web.render import render
from trustflux.web.views import badge_view, channel_label, channels, purpose_view

router = APIRouter(tags=["pages"], include_in_schema=False, dependencies=[Public])


@router.get("/")
def home(
    request: Request,
    services: ServicesDep,
    t: TranslatorDep,
    principal: OptionalPrincipal,
    signed_out: bool = False,
) -> Response:
    purposes = [purpose_view(p, services.register, t, "") for p in services.register.purposes]
    return render(
        request,
        services,
        t,
        principal,
        "home.html.j2",
        {"purposes": purposes, "signed_out": signed_out},
    )


@router.get("/transparency")
def transparency(
    request: Request, services: ServicesDep, t: TranslatorDep, principal: OptionalPrincipal
) -> Response:
    purposes = [purpose_view(p, services.register, t, "") for p in services.register.purposes]
    return render(request, services, t, principal, "transparency.html.j2", {"purposes": purposes})


@router.get("/transparency/{purpose_id}")
def purpose_page(
    purpose_id: str,
    request: Request,
    services: ServicesDep,
    t: TranslatorDep,
    principal: OptionalPrincipal,
) -> Response:
    if purpose_id not in services.register.purpose_ids:
        raise RecordNotFoundError(f"no purpose {purpose_id!r}")
    view = purpose_view(services.register.purpose(purpose_id), services.register, t, "")
    return render(request, services, t, principal, "purpose.html.j2", {"p": view})


@router.get("/badges")
def badges(
    request: Request, services: ServicesDep, t: TranslatorDep, principal: OptionalPrincipal
) -> Response:
    items = [badge_view(c, services.register, t, "") for c in channels(services.register)]
    return render(request, services, t, principal, "badges.html.j2", {"badges": items})


def _badge(channel: str, services: ServicesDep, t: TranslatorDep, base: str) -> dict[str, object]:
    if channel not in channels(services.register):
        raise RecordNotFoundError(f"no trust badge for {channel!r}")
    return badge_view(channel, services.register, t, base)


@router.get("/badges/{channel}")
def badge_page(
    channel: str,
    request: Request,
    services: ServicesDep,
    t: TranslatorDep,
    principal: OptionalPrincipal,
) -> Response:
    view = _badge(channel, services, t, "")
    absolute = _badge(channel, services, t, services.base_url)
    return render(
        request, services, t, principal, "badge.html.j2", {"b": view, "absolute": absolute}
    )


@router.get("/badges/{channel}/embed")
def badge_embed(
    channel: str, request: Request, services: ServicesDep, t: TranslatorDep
) -> Response:
    view = _badge(channel, services, t, services.base_url)
    return render(request, services, t, None, "badge_embed.html.j2", {"b": view})


@router.get("/badges/{channel}/badge.svg")
def badge_image(channel: str, services: ServicesDep, t: TranslatorDep) -> Response:
    view = _badge(channel, services, t, services.base_url)
    count = t("badge.count", n=len(view["purposes"]))  # type: ignore[arg-type]
    title = escape(f"{t('badge.for', channel=channel_label(channel, t))}: {count}")
    left, right = escape(t("badge.title")), escape(count)
    svg = f"""<svg xmlns="http://www.w3.org/2000/svg" width="260" height="36" role="img"
 aria-label="{title}"><title>{title}</title>
<rect width="260" height="36" rx="6" fill="#0b3d6b"/>
<rect x="150" width="110" height="36" rx="6" fill="#ffffff" stroke="#0b3d6b" stroke-width="2"/>
<text x="14" y="23" font-family="Arial, sans-serif" font-size="14"
 fill="#ffffff">&#10003; {left}</text>
<text x="205" y="23" font-family="Arial, sans-serif" font-size="14" fill="#0b3d6b"
 text-anchor="middle">{right}</text></svg>"""
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "max-age=300"})


@router.get("/rights")
def rights(
    request: Request, services: ServicesDep, t: TranslatorDep, principal: OptionalPrincipal
) -> Response:
    return render(request, services, t, principal, "rights.html.j2")


@router.get("/demo")
def demo(
    request: Request, services: ServicesDep, t: TranslatorDep, principal: OptionalPrincipal
) -> Response:
    snippet = (
        f'<script src="{services.base_url}/banner.js" data-site="website:fluxtel.example" '
        f'data-lang="{t.lang}" defer></script>'
    )
    return render(request, services, t, principal, "demo.html.j2", {"snippet": snippet})

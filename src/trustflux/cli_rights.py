"""``trustflux rights ...``: data-subject requests from filing to answer (GDPR Art. 12-21).

A thin edge over ``trustflux.rights``: each command opens the relational store, takes one
step through the ``RequestBook`` (every step is audited there) and prints what happened.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.table import Table

from trustflux.cli_console import err, out
from trustflux.config import Settings, load_settings
from trustflux.errors import RightsError, TrustfluxError

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from trustflux.audit import AuditTrail
    from trustflux.register import Register
    from trustflux.rights.requests import Request, RequestBook

rights_app = typer.Typer(
    help="Data-subject requests (GDPR Art. 12-21): file, verify, execute, answer.",
    no_args_is_help=True,
)

HomeOpt = Annotated[Path | None, typer.Option("--home", help="trustflux home.")]
RegisterOpt = Annotated[Path | None, typer.Option("--register", help="Register folder.")]
ByOpt = Annotated[
    str | None, typer.Option("--by", help="Who takes this step (default: the OS user).")
]


@dataclass
class _Desk:
    """What a command works with: settings, the store, the trail, the book."""

    settings: Settings
    engine: Engine
    trail: AuditTrail
    book: RequestBook
    _register: Register | None = field(default=None, repr=False)

    @property
    def register(self) -> Register:
        if self._register is None:
            from trustflux.register import load_register

            self._register = load_register(self.settings.register_dir)
        return self._register


@contextmanager
def _desk(
    home: Path | None, register: Path | None = None, *, checked: bool = False
) -> Iterator[_Desk]:
    """Open the store; ``checked``: the book checks an objection's purposes at filing."""
    from trustflux.audit import AuditTrail
    from trustflux.db import migrated_engine
    from trustflux.register import load_register
    from trustflux.rights.requests import RequestBook

    settings = load_settings(home=home, register_dir=register)
    loaded = load_register(settings.register_dir) if checked else None
    with migrated_engine(settings.sqlalchemy_url) as engine:
        trail = AuditTrail(engine)
        book = RequestBook(engine, trail, register=loaded)
        yield _Desk(settings, engine, trail, book, loaded)


def _actor(by: str | None) -> str:
    return by.strip() if by and by.strip() else getpass.getuser()


def _show(text: str) -> None:
    out.print(text, markup=False, highlight=False, soft_wrap=True)


def _when(moment: datetime | None) -> str:
    return "" if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


# -- filing -------------------------------------------------------------------------------
@rights_app.command("file")
def rights_file(
    subscriber: Annotated[str, typer.Argument(help="Subscriber id the request is about.")],
    kind: Annotated[
        str,
        typer.Argument(
            help="access, portability, rectification, erasure, objection or restriction."
        ),
    ],
    purpose: Annotated[
        list[str] | None,
        typer.Option("--purpose", help="Objection: a purpose objected to (repeat for more)."),
    ] = None,
    change: Annotated[
        list[str] | None,
        typer.Option(
            "--change", help="Rectification: field=value (empty value clears it); repeatable."
        ),
    ] = None,
    reason: Annotated[
        str | None, typer.Option("--reason", help="Restriction: what the person contests.")
    ] = None,
    by: ByOpt = None,
    channel: Annotated[
        str, typer.Option("--channel", help="cli (DPO staff) or agent (customer service).")
    ] = "cli",
    home: HomeOpt = None,
    register: RegisterOpt = None,
) -> None:
    """File a request for a subscriber; it then needs the requester's identity verified."""
    from trustflux.rights.subjects import find_subject

    if channel not in ("cli", "agent"):
        raise RightsError(f"--channel: '{channel}' is not one of cli, agent")
    details = _details(kind, purpose or [], change or [], reason)
    with _desk(home, register, checked=True) as desk:
        find_subject(desk.settings, subscriber)  # unknown or erased: nothing to file
        request = desk.book.file(
            subscriber, kind, channel=channel, filed_by=_actor(by), details=details
        )
    _show(
        f"request {request.request_id} filed: {request.kind.value} ({request.kind.article}) "
        f"for {request.subject_id}"
    )
    _show(f"received {_when(request.received_at)}, due {_when(request.due_at)}")
    _show(
        f"next: trustflux rights send-code {request.request_id}  (or: rights verify "
        f"{request.request_id} --method id_document --by NAME)"
    )


def _details(
    kind: str, purposes: list[str], changes: list[str], reason: str | None
) -> dict[str, Any]:
    """The request's details from the options, each option only where its kind takes it."""
    given = {"--purpose": purposes, "--change": changes, "--reason": reason}
    wanted = {"objection": "--purpose", "rectification": "--change", "restriction": "--reason"}
    for option, value in given.items():
        if value and wanted.get(kind) != option:
            owner = next(k for k, o in wanted.items() if o == option)
            raise RightsError(f"{option}: applies to {owner} requests only, not to {kind}")
    if kind == "objection":
        return {"purposes": purposes}
    if kind == "rectification":
        parsed: dict[str, str | None] = {}
        for item in changes:
            name, sep, value = item.partition("=")
            if not sep or not name.strip():
                raise RightsError(f"--change: '{item}' is not field=value")
            parsed[name.strip()] = value.strip() or None
        return {"changes": parsed}
    if kind == "restriction":
        return {"reason": reason or ""}
    return {}


# -- identity -----------------------------------------------------------------------------
@rights_app.command("send-code")
def rights_send_code(
    request_id: Annotated[str, typer.Argument(help="Request id.")],
    home: HomeOpt = None,
) -> None:
    """Send a one-time code to the subscriber's phone number on file."""
    from trustflux.rights.otp import issue_code, outbox_path, sender_for

    with _desk(home) as desk:
        sender = sender_for(desk.settings, _show)
        challenge = issue_code(desk.engine, desk.book, desk.settings, request_id, sender)
    _show(
        f"code sent to {challenge.contact_hint}, valid until {_when(challenge.expires_at)}; "
        f"then: trustflux rights verify {request_id} --code CODE"
    )
    if desk.settings.otp_sender == "file":
        _show(f"outbox (stand-in for the SMS gateway): {outbox_path(desk.settings)}")


@rights_app.command("verify")
def rights_verify(
    request_id: Annotated[str, typer.Argument(help="Request id.")],
    code: Annotated[
        str | None, typer.Option("--code", help="The one-time code the requester received.")
    ] = None,
    method: Annotated[
        str | None,
        typer.Option("--method", help="Checked by hand instead: id_document or in_person."),
    ] = None,
    by: ByOpt = None,
    home: HomeOpt = None,
) -> None:
    """Verify the requester: by the code sent to them, or by a DPO/agent check (--method)."""
    from trustflux.rights.otp import check_code

    if (code is None) == (method is None):
        raise RightsError("give either --code CODE or --method id_document|in_person --by NAME")
    if method is not None and method not in ("id_document", "in_person"):
        raise RightsError(f"--method: '{method}' is not one of id_document, in_person")
    if method is not None and not (by and by.strip()):
        raise RightsError("--by: a manual verification names who checked the identity")
    with _desk(home) as desk:
        if code is not None:
            request = check_code(desk.engine, desk.book, desk.settings, request_id, code)
        else:
            request = desk.book.verify(request_id, method=str(method), actor=_actor(by))
    _show(f"request {request.request_id} verified ({request.verification})")
    _show(f"next: trustflux rights execute {request.request_id}")


# -- the DPO's view -----------------------------------------------------------------------
@rights_app.command("queue")
def rights_queue(home: HomeOpt = None) -> None:
    """Open requests, soonest due first; overdue ones in red."""
    with _desk(home) as desk:
        items = desk.book.queue()
    table = Table("subscriber", "kind", "status", "due (UTC)", "days left")
    table.add_column("request", no_wrap=True, min_width=36)
    for item in items:
        r = item.request
        table.add_row(
            r.subject_id,
            r.kind.value,
            r.status.value,
            r.due_at.strftime("%Y-%m-%d %H:%M"),
            "overdue" if item.overdue else str(item.days_left),
            r.request_id,
            style="red" if item.overdue else None,
        )
    out.print(table)
    late = sum(item.overdue for item in items)
    _show(f"{len(items)} open request(s), {late} overdue")


@rights_app.command("show")
def rights_show(
    request_id: Annotated[str, typer.Argument(help="Request id.")],
    home: HomeOpt = None,
) -> None:
    """Everything about one request: where it stands, its deadlines, its answer."""
    from trustflux.rights.requests import allowed_steps

    with _desk(home) as desk:
        request = desk.book.get(request_id)
        now = desk.book.clock()
    table = Table("field", "value", show_header=False)
    rows = [
        ("request", request.request_id),
        ("subscriber", request.subject_id),
        ("kind", f"{request.kind.value} ({request.kind.article})"),
        ("status", request.status.value),
        ("channel", f"{request.channel.value}, filed by {request.filed_by}"),
        ("received", _when(request.received_at)),
        ("due", _due_text(request, now)),
        ("verified", f"{_when(request.verified_at)} {request.verification or ''}".strip()),
        ("extension", request.extension_reason or ""),
        ("refusal", request.refusal_reason or ""),
        ("completed", _when(request.completed_at)),
        ("details", json.dumps(dict(request.details), ensure_ascii=False)),
        ("next steps", ", ".join(allowed_steps(request.status)) or "none (closed)"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    out.print(table)
    if request.result is not None:
        _show(json.dumps(dict(request.result), indent=2, ensure_ascii=False))


def _due_text(request: Request, now: datetime) -> str:
    text = _when(request.due_at)
    if request.extension_months:
        text += f" (extended by {request.extension_months} month(s) from "
        text += f"{_when(request.original_due_at)})"
    if request.overdue(now):
        text += " OVERDUE"
    elif request.is_open:
        text += f", {request.days_left(now)} day(s) left"
    return text


# -- execution and answers ----------------------------------------------------------------
@rights_app.command("execute")
def rights_execute(
    request_id: Annotated[str, typer.Argument(help="Request id (verified).")],
    by: ByOpt = None,
    home: HomeOpt = None,
    register: RegisterOpt = None,
) -> None:
    """Carry the request out over every store and answer it."""
    from trustflux.ledger import Ledger
    from trustflux.rights.execute import execute_request

    with _desk(home, register) as desk:
        ledger = Ledger(desk.engine, desk.register, audit=desk.trail)
        request = execute_request(
            desk.settings,
            desk.register,
            desk.engine,
            desk.book,
            ledger,
            request_id,
            actor=_actor(by),
        )
    _show(f"request {request.request_id} completed: {request.kind.value} for {request.subject_id}")
    print_result(dict(request.result or {}))


def print_result(result: dict[str, Any]) -> None:
    """The answer of an executed request, readably (what was exported, erased, kept, ...)."""
    if "export" in result:
        export = result["export"]
        _show(f"export: {export['path']}")
        _counts("section", export.get("counts", {}))
    elif "erasure" in result:
        _print_erasure(result["erasure"])
    elif "purposes" in result:
        for purpose, outcome in result["purposes"].items():
            _show(f"{purpose}: {outcome}")
    elif "rectification" in result:
        _print_rectification(result["rectification"])
    elif "restriction" in result:
        restriction = result["restriction"]
        _show(f"restricted from {restriction['restricted_at']}: {restriction['note']}")
    else:
        _show(json.dumps(result, indent=2, ensure_ascii=False))


def _counts(label: str, counts: dict[str, Any]) -> None:
    table = Table(label, "rows", title=None)
    for name, n in counts.items():
        table.add_row(name, f"{n:,}" if isinstance(n, int) else str(n))
    out.print(table)


def _print_erasure(report: dict[str, Any]) -> None:
    if report.get("already_erased"):
        _show("the subscriber had already been erased: nothing more to remove")
    _counts("erased", dict(report.get("removed", {})))
    table = Table("kept", "what", "rows", "for", "legal ground")
    for item in report.get("kept", []):
        table.add_row(
            str(item.get("store", "")),
            str(item.get("what", "")),
            str(item.get("rows", "")),
            str(item.get("period", "")),
            f"{item.get('legal_ground', '')} ({item.get('purpose', '')})",
        )
    out.print(table)
    for statement in report.get("out_of_scope", []):
        _show(f"out of scope: {statement}")


def _print_rectification(report: dict[str, Any]) -> None:
    before, after = report.get("before", {}), report.get("after", {})
    table = Table("field", "before", "after")
    for name in after:
        table.add_row(name, str(before.get(name)), str(after[name]))
    out.print(table)


@rights_app.command("extend")
def rights_extend(
    request_id: Annotated[str, typer.Argument(help="Request id.")],
    months: Annotated[int, typer.Option("--months", help="1 or 2 further months.")],
    reason: Annotated[str, typer.Option("--reason", help="Why; the person is told.")],
    by: ByOpt = None,
    home: HomeOpt = None,
) -> None:
    """Extend the deadline (Art. 12(3)) and tell the person why."""
    with _desk(home) as desk:
        request = desk.book.extend(request_id, months=months, reason=reason, actor=_actor(by))
        _show(f"request {request.request_id} extended: due {_when(request.due_at)}")
        _inform(desk, request, _actor(by))


@rights_app.command("refuse")
def rights_refuse(
    request_id: Annotated[str, typer.Argument(help="Request id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why; the person is told.")],
    by: ByOpt = None,
    home: HomeOpt = None,
    register: RegisterOpt = None,
) -> None:
    """Refuse the request (Art. 12(4)/(5)) and tell the person why and where to complain."""
    with _desk(home, register) as desk:
        request = desk.book.refuse(request_id, reason=reason, actor=_actor(by))
        _show(f"request {request.request_id} refused: {request.refusal_reason}")
        _inform(desk, request, _actor(by))


def _inform(desk: _Desk, request: Request, actor: str) -> None:
    """Tell the person; the step itself stands even if the message cannot be sent."""
    from trustflux.rights.otp import sender_for, tell_decision

    try:
        sender = sender_for(desk.settings, _show)
        authority = desk.register.supervisory_authority.name
        hint = tell_decision(
            desk.settings, desk.book, request, sender, authority=authority, actor=actor
        )
    except TrustfluxError as exc:
        err.print(
            f"Warning: the person could not be told ({exc}); tell them another way",
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        return
    _show(f"the person was told at {hint}")

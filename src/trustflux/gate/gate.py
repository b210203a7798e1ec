"""The policy gate: may this purpose use this person's data at this time?

Every processing job asks the gate, per person (``decide``) or for a whole population at once
(``eligible``). Answers come from the register (lawful basis, kind of choice), the DPO's DPIA
decisions over the register's DPIA status, the restrictions of processing, and the ledger
(latest consent or objection at that time), never from a job's own opinion.
"""

from __future__ import annotations

import time
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa
from sqlalchemy import Connection, Engine, bindparam, select
from sqlalchemy.exc import OperationalError

from trustflux.db.engine import read_only
from trustflux.db.tables import ledger_records, ledger_state
from trustflux.errors import DatabaseError, GateError
from trustflux.gate import bulk
from trustflux.gate.contracts import all_contracts, contracts_for
from trustflux.gate.governance import Governance, load_governance
from trustflux.gate.rules import (
    Choice,
    Contract,
    Decision,
    PurposeRule,
    decide_rule,
    purpose_rules,
    with_dpia,
)
from trustflux.ledger.model import SUBJECT_HINT, Event, Method, SubjectKind, subject_kind, utc_now
from trustflux.register import DpiaStatus, Register

Query = tuple[str, str, datetime | None]
"""(subject, purpose, at): ``at`` None means now."""


@dataclass(frozen=True, slots=True)
class _Asked:
    subject: str
    kind: SubjectKind
    rule: PurposeRule
    at: datetime


class Gate:
    """Decisions from the register, the governance tables and the ledger.

    The DPO's DPIA decisions and the restrictions of processing are read at most every
    ``refresh_seconds`` (0: on every call) and kept in memory between, so a single decision
    costs no query for them; bulk sets and snapshots always read them fresh.
    """

    def __init__(
        self,
        engine: Engine,
        register: Register,
        *,
        clock: Callable[[], datetime] = utc_now,
        refresh_seconds: float = 2.0,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        if refresh_seconds < 0:
            raise GateError(f"refresh_seconds must be >= 0, got {refresh_seconds}")
        self.engine = engine
        self.reader = read_only(engine)
        self.register = register
        self.clock = clock
        self.rules = purpose_rules(register)
        """The register's rules as written; ``rule_at`` gives them under the DPO's decisions."""
        self.refresh_seconds = refresh_seconds
        self._monotonic = monotonic
        self._governance: tuple[float, Governance] | None = None
        self._variants: dict[tuple[str, DpiaStatus], PurposeRule] = {}

    # -- governance (DPIA decisions, restrictions) --------------------------------------------
    def _governance_in(self, conn: Connection, *, fresh: bool = False) -> Governance:
        """The governance view, reloaded if older than ``refresh_seconds`` (or if ``fresh``)."""
        cached = self._governance
        now = self._monotonic()
        if fresh or cached is None or now - cached[0] >= self.refresh_seconds:
            loaded = load_governance(conn)
            self._governance = (now, loaded)  # one assignment: threads see old or new
            return loaded
        return cached[1]

    def _effective(self, rule: PurposeRule, at: datetime, governance: Governance) -> PurposeRule:
        status = governance.dpia_status(rule.purpose, at, rule.dpia_status)
        if status is rule.dpia_status:
            return rule
        key = (rule.purpose, status)
        variant = self._variants.get(key)
        if variant is None:
            variant = self._variants[key] = with_dpia(rule, status)
        return variant

    def rule_at(self, purpose: str, at: datetime | None = None) -> PurposeRule:
        """The purpose's rule at ``at`` (default now) under the DPO's latest decisions."""
        rule = self._rule(purpose)
        try:
            with self.reader.connect() as conn:
                governance = self._governance_in(conn, fresh=True)
        except OperationalError as exc:
            raise DatabaseError(f"the governance tables are unavailable: {exc.orig}") from None
        return self._effective(rule, at or self.clock(), governance)

    # -- one at a time, or many per round trip ------------------------------------------------
    def decide(self, subject: str, purpose: str, at: datetime | None = None) -> Decision:
        """Allow or deny ``purpose`` for ``subject`` at ``at`` (default now), with the reason."""
        outcome = self.decide_many([(subject, purpose, at)])[0]
        if isinstance(outcome, GateError):
            raise outcome
        return outcome

    def decide_many(self, queries: Sequence[Query]) -> list[Decision | GateError]:
        """Decide many (subject, purpose, at) at once: at most three queries for the lot.

        A malformed query gets its ``GateError`` in its place; the others are answered.
        """
        try:
            return self._decide_many(queries)
        except OperationalError as exc:
            raise DatabaseError(f"the ledger database is unavailable: {exc.orig}") from None

    def _decide_many(self, queries: Sequence[Query]) -> list[Decision | GateError]:
        now = self.clock()
        with self.reader.connect() as conn:
            governance = self._governance_in(conn)
            asked = [self._check(q, now, governance) for q in queries]
            valid = [a for a in asked if isinstance(a, _Asked)]
            keys = {(a.subject, a.rule.purpose) for a in valid if a.rule.needs_ledger}
            contract_ids = {
                a.subject
                for a in valid
                if a.rule.needs_contract and a.kind is SubjectKind.SUBSCRIBER
            }
            latest = _latest_states(conn, keys) if keys else {}
            contracts = contracts_for(conn, contract_ids) if contract_ids else {}
            decisions: list[Decision | GateError] = []
            for item in asked:
                if isinstance(item, GateError):
                    decisions.append(item)
                    continue
                choice: Choice | None = None
                if item.rule.needs_ledger:
                    state = latest.get((item.subject, item.rule.purpose))
                    if state is not None and state[0] > item.at:  # a question about the past
                        choice = _choice_at(conn, item.subject, item.rule.purpose, item.at)
                    elif state is not None:
                        choice = state[1]
                restriction = governance.restriction(item.subject, item.rule.purpose, item.at)
                decisions.append(
                    decide_rule(
                        item.rule,
                        item.subject,
                        item.kind,
                        item.at,
                        choice,
                        contracts.get(item.subject),
                        None if restriction is None else restriction.restricted_at,
                    )
                )
        return decisions

    def _check(self, query: Query, now: datetime, governance: Governance) -> _Asked | GateError:
        subject, purpose, at = query
        kind = subject_kind(subject)
        if kind is None:
            return GateError(f"subject {subject!r} is malformed: expected {SUBJECT_HINT}")
        rule = self.rules.get(purpose)
        if rule is None:
            return GateError(
                f"unknown purpose {purpose!r} (declared: {', '.join(self.register.purpose_ids)})"
            )
        if at is not None and (at.tzinfo is None or at.utcoffset() is None):
            return GateError(f"time {at.isoformat()} has no time zone")
        moment = at or now
        return _Asked(subject, kind, self._effective(rule, moment, governance), moment)

    # -- populations --------------------------------------------------------------------------
    def eligible(
        self, purpose: str, at: datetime | None = None, subscribers: pa.Table | None = None
    ) -> pa.Table:
        """The rows of ``subscribers`` whose data ``purpose`` may process at ``at``.

        ``subscribers`` is an Arrow table with a ``subscriber_id`` column (plus
        ``contract_start``/``contract_end`` for contract purposes), however the job loaded it;
        None means every subscriber synced into the relational store. Set logic in Arrow over
        the ledger's latest state: no per-person loop.
        """
        rule, moment = self._rule(purpose), at or self.clock()
        with self.reader.connect() as conn:
            rule = self._effective(rule, moment, self._governance_in(conn, fresh=True))
            return bulk.eligible(conn, rule, moment, subscribers)

    def excluded(
        self, purpose: str, at: datetime | None = None, subscribers: pa.Table | None = None
    ) -> pa.Table:
        """The complement of ``eligible``: one column ``subscriber_id`` of those left out.

        The mobility opt-out stage drops exactly these before anything else happens.
        """
        rule, moment = self._rule(purpose), at or self.clock()
        with self.reader.connect() as conn:
            rule = self._effective(rule, moment, self._governance_in(conn, fresh=True))
            return bulk.excluded(conn, rule, moment, subscribers)

    def snapshot(
        self, purposes: Iterable[str] | None = None, subjects: Iterable[str] | None = None
    ) -> GateSnapshot:
        """The ledger and contracts in memory, for jobs that decide record by record.

        Decisions from a snapshot are those of the moment it was taken (``taken_at``): a job
        takes one at its start and records that time with its run.
        """
        wanted = (
            sorted(self.rules) if purposes is None else [self._rule(p).purpose for p in purposes]
        )
        subject_list = None if subjects is None else sorted(set(subjects))
        taken_at = self.clock()
        histories: dict[tuple[str, str], tuple[list[datetime], list[Choice]]] = {}
        query = (
            select(
                ledger_records.c.subject_id,
                ledger_records.c.purpose,
                ledger_records.c.record_id,
                ledger_records.c.event,
                ledger_records.c.occurred_at,
                ledger_records.c.expires_at,
                ledger_records.c.method,
            )
            .where(ledger_records.c.purpose.in_(wanted))
            .order_by(ledger_records.c.subject_id, ledger_records.c.purpose, ledger_records.c.seq)
        )
        if subject_list is not None:
            query = query.where(ledger_records.c.subject_id.in_(subject_list))
        with self.reader.connect() as conn:
            for row in conn.execute(query):
                times, choices = histories.setdefault((row.subject_id, row.purpose), ([], []))
                times.append(row.occurred_at)
                choices.append(
                    Choice(
                        row.record_id,
                        Event(row.event),
                        row.occurred_at,
                        row.expires_at,
                        Method(row.method),
                    )
                )
            contracts = (
                all_contracts(conn) if subject_list is None else contracts_for(conn, subject_list)
            )
            governance = load_governance(conn, subject_list)
        return GateSnapshot(self, histories, contracts, taken_at, governance)

    def _rule(self, purpose: str) -> PurposeRule:
        rule = self.rules.get(purpose)
        if rule is None:
            raise GateError(
                f"unknown purpose {purpose!r} (declared: {', '.join(self.register.purpose_ids)})"
            )
        return rule


class GateSnapshot:
    """The gate's rules over an in-memory copy of the ledger: no query per decision."""

    def __init__(
        self,
        gate: Gate,
        histories: dict[tuple[str, str], tuple[list[datetime], list[Choice]]],
        contracts: dict[str, Contract],
        taken_at: datetime,
        governance: Governance | None = None,
    ) -> None:
        self._gate = gate
        self._histories = histories
        self._contracts = contracts
        self.taken_at = taken_at
        self._governance = governance or Governance()

    def decide(self, subject: str, purpose: str, at: datetime | None = None) -> Decision:
        """As ``Gate.decide``, from the snapshot (``at`` defaults to the snapshot's time)."""
        moment = at or self.taken_at
        asked = self._gate._check((subject, purpose, moment), moment, self._governance)
        if isinstance(asked, GateError):
            raise asked
        choice = None
        history = self._histories.get((subject, purpose))
        if history is not None:
            position = bisect_right(history[0], moment)
            if position:
                choice = history[1][position - 1]
        restriction = self._governance.restriction(subject, purpose, moment)
        return decide_rule(
            asked.rule,
            subject,
            asked.kind,
            moment,
            choice,
            self._contracts.get(subject),
            None if restriction is None else restriction.restricted_at,
        )


# Statements are built once: building a select costs more than running it on a warm pool.
_LATEST = select(
    ledger_state.c.subject_id,
    ledger_state.c.purpose,
    ledger_state.c.record_id,
    ledger_state.c.event,
    ledger_state.c.occurred_at,
    ledger_state.c.expires_at,
    ledger_state.c.method,
).where(
    ledger_state.c.subject_id.in_(bindparam("subjects", expanding=True)),
    ledger_state.c.purpose.in_(bindparam("purposes", expanding=True)),
)
_CHOICE_AT = (
    select(
        ledger_records.c.record_id,
        ledger_records.c.event,
        ledger_records.c.occurred_at,
        ledger_records.c.expires_at,
        ledger_records.c.method,
    )
    .where(
        ledger_records.c.subject_id == bindparam("subject"),
        ledger_records.c.purpose == bindparam("purpose"),
        ledger_records.c.occurred_at <= bindparam("at"),
    )
    .order_by(ledger_records.c.seq.desc())
    .limit(1)
)
_CHUNK = 500


def _latest_states(
    conn: Connection, keys: set[tuple[str, str]]
) -> dict[tuple[str, str], tuple[datetime, Choice]]:
    """Latest state of each (subject, purpose) asked, in one query per 500 subjects."""
    found: dict[tuple[str, str], tuple[datetime, Choice]] = {}
    subjects = sorted({subject for subject, _ in keys})
    purposes = sorted({purpose for _, purpose in keys})
    for offset in range(0, len(subjects), _CHUNK):
        rows = conn.execute(
            _LATEST, {"subjects": subjects[offset : offset + _CHUNK], "purposes": purposes}
        )
        for subject, purpose, record_id, event, occurred_at, expires_at, method in rows:
            if (subject, purpose) in keys:
                found[(subject, purpose)] = (
                    occurred_at,
                    Choice(record_id, Event(event), occurred_at, expires_at, Method(method)),
                )
    return found


def _choice_at(conn: Connection, subject: str, purpose: str, at: datetime) -> Choice | None:
    row = conn.execute(_CHOICE_AT, {"subject": subject, "purpose": purpose, "at": at}).first()
    if row is None:
        return None
    return Choice(
        row.record_id, Event(row.event), row.occurred_at, row.expires_at, Method(row.method)
    )

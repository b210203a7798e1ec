"""One exception root for trustflux, with one subclass per layer.

Core code raises these; only the edges (CLI, web) turn them into messages and exit codes.
"""


class TrustfluxError(Exception):
    """Root of every error trustflux raises on purpose."""


class ConfigError(TrustfluxError):
    """Settings are missing, malformed or unsafe."""


class InputError(TrustfluxError):
    """An input file or directory cannot be read as the data model expects."""


class StoreError(TrustfluxError):
    """The store is missing, locked or inconsistent."""


class WorldError(TrustfluxError):
    """The synthetic world generator was given parameters it cannot honour."""


class RegisterError(TrustfluxError):
    """The processing register is invalid; the message names the file and the field."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems) if problems else "invalid register")


class StatisticsError(TrustfluxError):
    """The statistics pipeline cannot produce a release (no data, no key, budget exceeded)."""


class DatabaseError(TrustfluxError):
    """The relational store cannot be reached, migrated or is at an unexpected revision."""


class LedgerError(TrustfluxError):
    """A consent or objection record was refused; nothing was written for it."""


class InvalidRecordError(LedgerError):
    """The record is malformed: bad id, unknown subject kind, event not allowed for the purpose."""


class UnknownPurposeError(LedgerError):
    """The purpose is not declared in the register."""


class ReplayError(LedgerError):
    """The record repeats one already in the ledger (same record id, or the same event again)."""


class OutOfOrderError(LedgerError):
    """The record is dated before the subject's latest event for that purpose."""


class RecordNotFoundError(LedgerError):
    """No record with that id (or none the caller may see)."""


class GateError(TrustfluxError):
    """The policy gate was asked something it cannot answer (malformed subject, missing input)."""


class AccountError(TrustfluxError):
    """An account or API token cannot be created or changed as asked."""


class AuthenticationError(TrustfluxError):
    """Who is calling could not be established (no session, bad password, revoked token)."""


class PermissionDeniedError(TrustfluxError):
    """The caller is known but their role does not allow this action."""


class CsrfError(PermissionDeniedError):
    """A form or cookie-authenticated call came without a valid anti-forgery token."""


class OperationsError(TrustfluxError):
    """An operations job (billing, fraud, network, offers, telemetry) cannot run as asked."""


class TariffError(OperationsError):
    """The tariff table is malformed; the message names the file, the row and the field."""


class CatalogueError(OperationsError):
    """The offer catalogue is malformed; the message names the file and the offer."""


class PrivacyBudgetError(OperationsError):
    """A network release would spend more privacy budget than is left for its days."""


class NotEligibleError(OperationsError):
    """The gate does not allow this subscriber (or their gateway) for the job's purpose now."""


class TelemetryError(OperationsError):
    """The telemetry source (MQTT broker, file) cannot be reached or read at all."""


class AuditError(TrustfluxError):
    """The audit trail cannot be written or read, or its chain is broken."""


class RightsError(TrustfluxError):
    """A data-subject request cannot be filed, verified, executed or answered as asked."""


class RequestNotFoundError(RightsError):
    """No data-subject request (or subscriber) with that identifier."""


class RequestStateError(RightsError):
    """The request is not in a state that allows this step (e.g. executing an unverified one)."""


class VerificationError(RightsError):
    """A one-time code is wrong, expired or used up."""


class ErasedSubjectError(RightsError):
    """The subscriber's data was erased: nothing is held any more."""


class TicketError(OperationsError):
    """A customer-service ticket is missing, closed or lacks a stated reason."""

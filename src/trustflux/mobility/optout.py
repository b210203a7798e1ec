"""Stage 1: subscribers who objected to mobility statistics leave before anything else."""

from __future__ import annotations

from typing import Any


def drop_objectors(events: Any, subscribers: Any, objectors: Any) -> Any:
    """Events without those of objecting subscribers (matched on their IMSI).

    ``events`` may carry the IMSI as text or as its number (see ``pseudonymise``).
    ``objectors`` is a one-column table ``subscriber_id`` (from the policy gate, or a file).
    Inbound roamers have no contract with us and no objection on file: they are kept, and
    leave the statistics zone as pseudonyms like everyone else.
    """
    excluded = subscribers.filter(subscribers.subscriber_id.isin(objectors.subscriber_id))
    imsis = excluded.select(imsi=excluded.imsi.cast(events.imsi.type()))
    return events.filter(~events.imsi.isin(imsis.imsi))

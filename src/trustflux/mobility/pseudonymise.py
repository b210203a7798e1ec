"""Stage 2: IMSI -> keyed pseudonym, with coarse attributes attached before the IMSI goes.

The key never enters an engine: the distinct IMSIs of the period (one row per device, far
fewer than events) come out, are keyed here with HMAC-SHA256, and go back as a small table
of (imsi, pid, origin_kind, origin). Everything after this stage sees only ``pid``.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

import pyarrow as pa

from trustflux.engine.session import EngineSession
from trustflux.mobility.countries import HOME_MCC, UNKNOWN, origin_of_mcc
from trustflux.mobility.keys import PeriodKey

DEVICE_SCHEMA = pa.schema(
    [
        ("imsi", pa.string()),
        ("pid", pa.int64()),
        ("origin_kind", pa.string()),
        ("origin", pa.string()),
    ]
)


def device_map(
    session: EngineSession,
    events: Any,
    subscribers: Any,
    key: PeriodKey,
    public_regions: Collection[str],
) -> pa.Table:
    """One row per device seen in ``events``: its pseudonym and published origin.

    Own subscribers take their billing region (if it is a published region), foreign
    roamers the country of their MCC; a domestic device we hold no contract for (another
    operator's customer is never on our network, so this is a data error) is 'unknown'.
    """
    imsis = events.select("imsi").distinct()
    joined = imsis.left_join(
        subscribers.select("imsi", region=subscribers.billing_region_id), "imsi"
    ).select("imsi", "region")
    rows = session.to_arrow(joined)
    regions = set(public_regions)
    pids, kinds, origins = [], [], []
    for imsi, region in zip(
        rows.column("imsi").to_pylist(), rows.column("region").to_pylist(), strict=True
    ):
        pids.append(key.pseudonym(imsi))
        mcc = imsi[:3]
        if mcc == HOME_MCC:
            kinds.append("domestic")
            origins.append(region if region in regions else UNKNOWN)
        else:
            kinds.append("foreign")
            origins.append(origin_of_mcc(mcc))
    return pa.table(
        {
            "imsi": rows.column("imsi"),
            "pid": pa.array(pids, pa.int64()),
            "origin_kind": pa.array(kinds, pa.string()),
            "origin": pa.array(origins, pa.string()),
        },
        schema=DEVICE_SCHEMA,
    )


def observations(
    events: Any, cells: Any, devices: Any, start_epoch_s: int, slot_s: int, n_slots: int
) -> Any:
    """Pseudonymised observations: (pid, slot, zone_id, n events, last event time).

    The IMSI is dropped here; events outside the period or on unknown cells never get in.
    """
    slot = ((events.ts.epoch_seconds() - start_epoch_s) / slot_s).floor().cast("int64")
    located = events.join(
        cells.select("area_code", "cell_id", "zone_id"), ["area_code", "cell_id"]
    ).select("imsi", "ts", "zone_id", slot=slot)
    located = located.filter((located.slot >= 0) & (located.slot < n_slots))
    keyed = located.join(devices.select("imsi", "pid"), "imsi")
    return keyed.group_by(["pid", "slot", "zone_id"]).agg(n=keyed.count(), last_ts=keyed.ts.max())

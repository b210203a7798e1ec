"""Stage 2: IMSI -> keyed pseudonym, with coarse attributes attached before the IMSI goes.

The key never enters an engine: the distinct IMSIs of the period (one row per device, far
fewer than events) come out, are keyed here with HMAC-SHA256, and go back as a small table
of (imsi, pid, origin_kind, origin). Everything after this stage sees only ``pid``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import datetime, timedelta
from typing import Any

import pyarrow as pa

from trustflux.engine.session import EngineSession
from trustflux.mobility.countries import HOME_MCC, UNKNOWN, origin_of_mcc
from trustflux.mobility.keys import PeriodKey

DEVICE_SCHEMA = pa.schema(
    [
        ("imsi", pa.int64()),
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
    regions_on_file = subscribers.select(
        imsi=imsi_number(subscribers.imsi), region=subscribers.billing_region_id
    )
    joined = imsis.left_join(regions_on_file, "imsi").select("imsi", "region")
    rows = session.to_arrow(joined)
    regions = set(public_regions)
    pids, kinds, origins = [], [], []
    for number, region in zip(
        rows.column("imsi").to_pylist(), rows.column("region").to_pylist(), strict=True
    ):
        imsi = str(number)
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
            "imsi": rows.column("imsi").cast(pa.int64()),
            "pid": pa.array(pids, pa.int64()),
            "origin_kind": pa.array(kinds, pa.string()),
            "origin": pa.array(origins, pa.string()),
        },
        schema=DEVICE_SCHEMA,
    )


def imsi_number(imsi: Any) -> Any:
    """The IMSI as a 64-bit integer: validated as 15 digits with a non-zero MCC, so lossless,
    and far cheaper to group and join on than text."""
    return imsi.cast("int64")


def located(
    events: Any,
    cells: Any,
    start: datetime,
    slot_s: int,
    n_slots: int,
    epoch_seconds: Callable[[Any], Any] = lambda ts: ts.epoch_seconds(),
) -> Any:
    """(imsi, slot, zone_id, n, last_ts, first_s, last_s): events of the period per device,
    slot and zone (first and last sighting in epoch seconds).

    One pass over the events; everything downstream works on this far smaller table. It still
    holds the IMSI, so it lives only inside the engine and is never written anywhere. The
    period is selected by comparing timestamps (pushed down to Parquet row groups); the epoch
    is computed once, for the slot number.
    """
    end = start + timedelta(seconds=n_slots * slot_s)
    in_period = events.filter((events.ts >= start) & (events.ts < end))
    start_s = int(start.timestamp())
    epoch = epoch_seconds(in_period.ts)
    slot = ((epoch - start_s) / slot_s).floor().cast("int64")
    joined = in_period.join(
        cells.select("area_code", "cell_id", "zone_id"), ["area_code", "cell_id"]
    ).select(
        imsi=imsi_number(in_period.imsi), ts=in_period.ts, zone_id="zone_id", slot=slot, s=epoch
    )
    return joined.group_by(["imsi", "slot", "zone_id"]).agg(
        n=joined.count(), last_ts=joined.ts.max(), first_s=joined.s.min(), last_s=joined.s.max()
    )


def observations(located_rows: Any, devices: Any) -> Any:
    """Pseudonymised observations (pid, slot, zone_id, n, last_ts, first_s, last_s): the IMSI is
    dropped here."""
    keyed = located_rows.join(devices.select("imsi", "pid"), "imsi")
    return keyed.select("pid", "slot", "zone_id", "n", "last_ts", "first_s", "last_s")

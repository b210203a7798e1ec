"""ISO 8601 durations for retention periods.

The register states how long data is kept as ``P13M``, ``P10Y`` or ``PT24H`` so that a
human reads it and a retention job computes with it. The standard library has no parser;
this one covers the calendar designators (no fractions, no negative durations), which is all a
retention period needs.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from pydantic import GetCoreSchemaHandler, GetJsonSchemaHandler
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import core_schema

_PATTERN = re.compile(
    r"P(?!$)"
    r"(?:(?P<years>\d+)Y)?(?:(?P<months>\d+)M)?(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?=\d)(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?"
)

_DAYS_PER_YEAR = 365.2425
_DAYS_PER_MONTH = _DAYS_PER_YEAR / 12

_When = TypeVar("_When", date, datetime)


@dataclass(frozen=True, slots=True)
class Duration:
    """A calendar duration: months and years stay months and years until added to a date."""

    years: int = 0
    months: int = 0
    weeks: int = 0
    days: int = 0
    hours: int = 0
    minutes: int = 0
    seconds: int = 0

    @classmethod
    def parse(cls, text: str) -> Duration:
        """Read ``P1Y2M3DT4H`` and the like; raise ``ValueError`` naming the text otherwise."""
        match = _PATTERN.fullmatch(text.strip()) if isinstance(text, str) else None
        if match is None:
            raise ValueError(
                f"{text!r} is not an ISO 8601 duration (such as P13M, P10Y, P30D or PT24H)"
            )
        parts = {name: int(value) for name, value in match.groupdict().items() if value}
        return cls(**parts)

    def __str__(self) -> str:
        date_part = "".join(
            f"{value}{unit}"
            for value, unit in (
                (self.years, "Y"),
                (self.months, "M"),
                (self.weeks, "W"),
                (self.days, "D"),
            )
            if value
        )
        time_part = "".join(
            f"{value}{unit}"
            for value, unit in ((self.hours, "H"), (self.minutes, "M"), (self.seconds, "S"))
            if value
        )
        if not date_part and not time_part:
            return "PT0S"
        return "P" + date_part + (f"T{time_part}" if time_part else "")

    @property
    def nominal_days(self) -> float:
        """Length in days with average months and years: for comparing, never for deleting."""
        return (
            self.years * _DAYS_PER_YEAR
            + self.months * _DAYS_PER_MONTH
            + self.weeks * 7
            + self.days
            + (self.hours * 3600 + self.minutes * 60 + self.seconds) / 86400
        )

    def after(self, moment: _When) -> _When:
        """The moment this duration after ``moment`` (month ends are clamped: Jan 31 + P1M)."""
        return self._shift(moment, 1)

    def before(self, moment: _When) -> _When:
        """The moment this duration before ``moment``: the retention cut-off at ``moment``."""
        return self._shift(moment, -1)

    def _shift(self, moment: _When, sign: int) -> _When:
        total_months = moment.month - 1 + sign * (self.years * 12 + self.months)
        year, month = moment.year + total_months // 12, total_months % 12 + 1
        day = min(moment.day, calendar.monthrange(year, month)[1])
        shifted = moment.replace(year=year, month=month, day=day)
        delta = timedelta(
            weeks=self.weeks,
            days=self.days,
            hours=self.hours,
            minutes=self.minutes,
            seconds=self.seconds,
        )
        return shifted + sign * delta

    @classmethod
    def __get_pydantic_core_schema__(
        cls, source: type[Any], handler: GetCoreSchemaHandler
    ) -> core_schema.CoreSchema:
        """Validate from text (YAML, JSON) or an instance; serialise back to text."""
        return core_schema.no_info_plain_validator_function(
            cls._coerce,
            serialization=core_schema.plain_serializer_function_ser_schema(str),
        )

    @classmethod
    def __get_pydantic_json_schema__(
        cls, schema: core_schema.CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        """Describe the field as an ISO 8601 duration string in JSON Schema."""
        return {"type": "string", "format": "duration", "examples": ["P13M", "PT24H"]}

    @classmethod
    def _coerce(cls, value: object) -> Duration:
        if isinstance(value, Duration):
            return value
        if isinstance(value, str):
            return cls.parse(value)
        raise ValueError(
            f"{value!r} is not an ISO 8601 duration: write it as text such as P13M or PT24H"
        )

"""The processing register: every purpose, its lawful basis, retention and DPIA, as YAML.

Privacy as code: the register folder is the single source of the record of processing
(GDPR Art. 30), the notices and the gate's answers. ``load_register`` checks it whole and
``render_record`` / ``write_record`` export the record.
"""

from trustflux.register.duration import Duration
from trustflux.register.export import ART30_COLUMNS, RecordFormat, render_record, write_record
from trustflux.register.loader import load_register
from trustflux.register.models import (
    ConsentMechanism,
    DpiaStatus,
    KeptStore,
    LawfulBasis,
    LocalizedText,
    Purpose,
    Register,
)

__all__ = [
    "ART30_COLUMNS",
    "ConsentMechanism",
    "DpiaStatus",
    "Duration",
    "KeptStore",
    "LawfulBasis",
    "LocalizedText",
    "Purpose",
    "RecordFormat",
    "Register",
    "load_register",
    "render_record",
    "write_record",
]

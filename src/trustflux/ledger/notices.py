"""Notice texts and their hashes: what the person was shown when they chose.

A record carries the notice version and the SHA-256 of the exact text displayed (purpose name
and description in the person's language, from the register). Texts are kept in the
``notices`` table for ever, so a receipt can show the words a choice was made on even after
the register has moved to a new version.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from trustflux.ledger.model import LANGUAGES, Language
from trustflux.register import Purpose, Register


def notice_text(purpose: Purpose, language: Language) -> str:
    """The text shown for ``purpose``: its name, a blank line, its description."""
    return f"{purpose.name.get(language)}\n\n{purpose.description.get(language)}"


def text_hash(text: str) -> str:
    """SHA-256 (hex) of a notice text in UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Notice:
    """One notice text of one purpose, version and language."""

    purpose: str
    version: str
    language: Language
    text: str
    hash: str


def current_notices(register: Register) -> list[Notice]:
    """The notices of the register as it stands, one per purpose and language."""
    found = []
    for purpose in register.purposes:
        for language in LANGUAGES:
            text = notice_text(purpose, language)
            found.append(
                Notice(purpose.id, purpose.notice_version, language, text, text_hash(text))
            )
    return found


class NoticeBook:
    """Every notice the ledger knows (current register and past versions), by key and hash."""

    def __init__(self, notices: list[Notice]) -> None:
        self._by_key: dict[tuple[str, str, str], Notice] = {}
        self._by_hash: dict[str, Notice] = {}
        for notice in notices:
            self.add(notice)

    def add(self, notice: Notice) -> None:
        self._by_key[(notice.purpose, notice.version, notice.language)] = notice
        self._by_hash[notice.hash] = notice

    def get(self, purpose: str, version: str, language: str) -> Notice | None:
        """The notice of ``purpose`` at ``version`` in ``language``, if known."""
        return self._by_key.get((purpose, version, language))

    def by_hash(self, digest: str) -> Notice | None:
        """The notice whose text hashes to ``digest``, if known."""
        return self._by_hash.get(digest)

    def knows_version(self, purpose: str, version: str) -> bool:
        """Whether any language of ``purpose`` at ``version`` is known."""
        return any(self.get(purpose, version, language) for language in LANGUAGES)

"""Task identity (DESIGN §3): a task type is (platform, requester, title, reward). Pure functions.

A title names a task type only after `identity_title` has normalized it, so that what a worker reads as
the same title is the same task type: case, punctuation, spacing, invisible characters, fullwidth forms
and letters of other scripts that look Latin (Cyrillic "а", Greek "ο") are not part of a task's identity.
Otherwise one account could review one requester's task many times ("Tag images", "tag images.",
"Tag\u200b images", "Tаg images" with a Cyrillic а), each a "new" task type. docs/evidence.md explains it.

Reward variants of one title (the same task at +1 cent) stay task types of their own, because they pay
differently; their evidence about the work is shared (server/domain/aggregate.py, `family`).
"""
from __future__ import annotations

import unicodedata
from functools import lru_cache
from typing import NamedTuple

from scrapers.model import Task, title_key

__all__ = ["CONFUSABLES", "MAX_KEY", "TaskKey", "identity_title", "task_key", "title_key"]

MAX_KEY = 500  # task_types.title_key is a String(500)

# Letters of other scripts that look like Latin ones, lower case (titles are case-folded first). The
# common single-letter entries of Unicode's confusables list (UTS #39, confusables.txt) for Cyrillic,
# Greek and Armenian letters that look like a–z, plus a few Latin letters that look like others.
CONFUSABLES = {
    # Cyrillic
    "а": "a", "в": "b", "ԁ": "d", "е": "e", "ё": "e", "һ": "h", "н": "h", "і": "i", "ї": "i", "ј": "j",
    "к": "k", "ӏ": "l", "м": "m", "п": "n", "о": "o", "р": "p", "ԛ": "q", "г": "r", "ѕ": "s", "т": "t",
    "ѵ": "v", "ԝ": "w", "х": "x", "у": "y", "ү": "y", "з": "3", "ь": "b", "с": "c",
    # Greek
    "α": "a", "β": "b", "ϲ": "c", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x", "γ": "y", "ω": "w", "ϳ": "j",
    # Armenian
    "օ": "o", "ս": "u", "հ": "h", "ո": "n", "ց": "g", "զ": "q",
    # Latin look-alikes
    "ı": "i", "ȷ": "j", "ɡ": "g",
}
_CONFUSABLE_TABLE = str.maketrans(CONFUSABLES)


def _latin_look(word: str) -> str:
    """A word's look-alike letters as Latin ones, when the word is meant to read as Latin: it mixes them with
    Latin letters ("tаg" with a Cyrillic а), or every letter of it has a Latin look-alike ("рор"). A word
    of another script that merely shares some letters ("работа") is left as it is."""
    letters = [c for c in word if c.isalpha()]
    if not letters or not any(c in CONFUSABLES for c in letters):
        return word
    if any("a" <= c <= "z" for c in letters) or all(c in CONFUSABLES or "a" <= c <= "z" for c in letters):
        return word.translate(_CONFUSABLE_TABLE)
    return word


def _is_invisible(char: str) -> bool:
    """Format characters (zero-width space and joiners, soft hyphen, word joiner, BOM, bidi marks), and
    other control characters: they change the bytes of a title, not what a worker reads."""
    return unicodedata.category(char) in ("Cf", "Cc", "Cs", "Co", "Cn") and char not in "\t\n\r"


def _separator(char: str) -> bool:
    """Punctuation and spaces separate words; which one a title uses does not name another task."""
    category = unicodedata.category(char)
    return category[0] in "PZ" or char in "\t\n\r"


# ASCII titles (most of them) in one pass: control characters go, punctuation becomes a space, letters lower.
_ASCII = {code: None if unicodedata.category(chr(code)) == "Cc" and chr(code) not in "\t\n\r" else
          " " if unicodedata.category(chr(code))[0] in "PZ" or chr(code) in "\t\n\r" else chr(code).lower()
          for code in range(128)}


class _Chars(dict[int, str | None]):
    """What str.translate makes of any character: invisible ones go, separators become a space (learned once
    per character)."""

    def __missing__(self, code: int) -> str | None:
        char = chr(code)
        value = None if _is_invisible(char) else " " if _separator(char) else char
        self[code] = value
        return value


_INVISIBLE = _Chars()


@lru_cache(maxsize=1 << 16)  # annotate asks for the same titles page after page
def identity_title(title: str) -> str:
    """The title as it names a task type: compatibility forms folded (NFKC: fullwidth letters, ligatures),
    invisible characters removed, case folded, look-alike letters of other scripts mapped to Latin,
    punctuation and runs of spaces made one space. Idempotent: identity_title(identity_title(t)) equals
    identity_title(t). Words, digits and symbols ($, %, +) stay: "$1 survey" is not "1 survey"."""
    if title.isascii():
        key = " ".join(title.translate(_ASCII).split())
        return key if len(key) <= MAX_KEY else key[:MAX_KEY].rstrip()
    text = unicodedata.normalize("NFKC", title).translate(_INVISIBLE)
    text = unicodedata.normalize("NFKC", text.casefold()).translate(_INVISIBLE)
    # Combining marks left alone by NFKC (a letter + U+0301 with no precomposed form) stay: they are visible.
    key = " ".join(word if word.isascii() else _latin_look(word) for word in text.split())
    if len(key) > MAX_KEY:
        key = key[:MAX_KEY].rstrip()
    return key


class TaskKey(NamedTuple):
    platform: str
    requester_id: str
    title_key: str
    reward_cents: int
    currency: str


def task_key(task: Task) -> TaskKey:
    return TaskKey(task.platform, task.requester_id.strip(), identity_title(task.title), task.reward_cents,
                   task.currency.upper())

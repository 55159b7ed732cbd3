"""Casualty numbers as news text writes them, turned into a low / best / high range.

Conventions (documented, and tested):

| text | low | best | high |
| --- | --- | --- | --- |
| `50`, `fifty` | 50 | 50 | 50 |
| `at least 50`, `50 or more`, `no fewer than 50` | 50 | – | – |
| `more than 200`, `over 200` | 201 | – | – |
| `up to 30`, `as many as 30` | 1 | – | 30 |
| `nearly 30`, `almost 30` | 27 | – | 29 |
| `about 30`, `around 30`, `some 30`, `an estimated 30` | 27 | 30 | 33 |
| `20 to 30`, `between 20 and 30` | 20 | – | 30 |
| `a dozen` | 12 | 12 | 12 |
| `dozens` | 24 | – | 99 |
| `scores` | 40 | – | 199 |
| `tens` | 20 | – | 99 |
| `hundreds` | 200 | – | 999 |
| `thousands` | 2000 | – | 9999 |
| `several` | 3 | – | 9 |
| `a few` | 2 | – | 5 |
| `a`, `an`, `one` (a child was killed) | 1 | 1 | 1 |

"Dozens" is read as at least two dozen and fewer than a hundred, "scores" as
at least two score (40) and fewer than two hundred.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

ONES = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19,
}  # fmt: skip
TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
    "eighty": 80, "ninety": 90,
}  # fmt: skip
SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
#: Vague amounts: (low, high).
VAGUE = {
    "dozens": (24, 99),
    "scores": (40, 199),
    "tens": (20, 99),
    "hundreds": (200, 999),
    "thousands": (2000, 9999),
    "several": (3, 9),
    "few": (2, 5),
    "numerous": (3, None),
}
#: Words that can make up a number phrase (for the Matcher patterns).
NUMBER_WORDS = frozenset(
    [*ONES, *TENS, *SCALES, *VAGUE, "dozen", "score", "a", "an", "hundreds", "thousands"]
)
QUALIFIERS = (
    ("no fewer than", "min"), ("no less than", "min"), ("not less than", "min"),
    ("at least", "min"), ("a minimum of", "min"),
    ("more than", "over"), ("over", "over"), ("upwards of", "over"), ("in excess of", "over"),
    ("up to", "max"), ("as many as", "max"), ("at most", "max"),
    ("fewer than", "under"), ("less than", "under"),
    ("nearly", "nearly"), ("almost", "nearly"), ("close to", "nearly"),
    ("about", "about"), ("around", "about"), ("roughly", "about"), ("approximately", "about"),
    ("some", "about"), ("an estimated", "about"), ("estimated", "about"), ("circa", "about"),
)  # fmt: skip
_QUALIFIER_RE = re.compile(
    r"^(?:" + "|".join(re.escape(q) for q, _ in QUALIFIERS) + r")\b\s*", re.IGNORECASE
)
_QUALIFIER_KIND = {q: k for q, k in QUALIFIERS}
_DIGITS = re.compile(r"^\d{1,3}(?:[,.]\d{3})+$|^\d+$")


@dataclass(frozen=True)
class Count:
    """A number of people as a range; `best` only when the text gives one figure."""

    low: int | None
    best: int | None
    high: int | None
    text: str

    def as_dict(self) -> dict[str, int | None]:
        return {"low": self.low, "best": self.best, "high": self.high}

    def point(self) -> int | None:
        """One figure for comparisons: best, else low, else high."""
        if self.best is not None:
            return self.best
        return self.low if self.low is not None else self.high


def word_number(words: list[str]) -> int | None:
    """`["twenty", "five"]` -> 25, `["two", "hundred"]` -> 200; None if not a number."""
    total = 0
    current = 0
    seen = False
    for word in words:
        w = word.lower().strip()
        if w in ("", "-", "and"):
            continue
        if _DIGITS.match(w):
            current += int(re.sub(r"[,.]", "", w))
        elif w in ONES:
            current += ONES[w]
        elif w in TENS:
            current += TENS[w]
        elif w in SCALES:
            current = max(current, 1) * SCALES[w]
            if SCALES[w] >= 1000:
                total += current
                current = 0
        elif w in ("a", "an"):
            current += 1
        else:
            return None
        seen = True
    return total + current if seen else None


def parse_count(text: str) -> Count | None:
    """Parse a number phrase ("at least 50", "dozens", "twenty-five") into a Count."""
    raw = " ".join(text.replace("-", " - ").split())
    qualifier = None
    match = _QUALIFIER_RE.match(raw)
    if match:
        qualifier = _QUALIFIER_KIND[match.group(0).strip().lower()]
        raw = raw[match.end() :]
    words = [w for w in raw.split() if w != "-"]
    if not words:
        return None
    # trailing "or more" / "or so"
    tail = " ".join(words[-2:]).lower()
    if tail in ("or more", "and more") and len(words) > 2:
        qualifier = "min"
        words = words[:-2]
    elif tail == "or so" and len(words) > 2:
        qualifier = "about"
        words = words[:-2]
    lowered = [w.lower() for w in words]
    # ranges: "20 to 30", "between 20 and 30", "20 - 30"
    joined = " ".join(lowered)
    rng = re.match(r"^(?:between\s+)?(\S+(?:\s\S+)?)\s+(?:to|and|-|or)\s+(\S+(?:\s\S+)?)$", joined)
    if rng and qualifier is None:
        lo = word_number(rng.group(1).split())
        hi = word_number(rng.group(2).split())
        if lo is not None and hi is not None and lo < hi:
            return Count(lo, None, hi, text)
    if lowered[0] in ("a", "an") and len(lowered) > 1:
        lowered = lowered[1:]
    if lowered[-1] == "of":
        lowered = lowered[:-1]
    if len(lowered) == 1 and lowered[0] in VAGUE:
        lo, hi = VAGUE[lowered[0]]
        return Count(lo, None, hi, text)
    if lowered in (["dozen"],):
        value: int | None = 12
    elif len(lowered) == 2 and lowered[1] == "dozen":
        base = word_number(lowered[:1])
        value = base * 12 if base is not None else None
    elif len(lowered) == 2 and lowered[1] in ("dozens", "hundreds", "thousands"):
        lo, hi = VAGUE[lowered[1]]
        return Count(lo, None, hi, text)
    else:
        value = word_number(lowered)
    if value is None:
        return None
    return _qualified(value, qualifier, text)


def _qualified(value: int, qualifier: str | None, text: str) -> Count:
    if qualifier == "min":
        return Count(value, None, None, text)
    if qualifier == "over":
        return Count(value + 1, None, None, text)
    if qualifier == "max":
        return Count(min(1, value), None, value, text)
    if qualifier == "under":
        return Count(min(1, value - 1), None, max(value - 1, 0), text)
    if qualifier == "nearly":
        return Count(math.ceil(value * 0.9), None, max(value - 1, 0), text)
    if qualifier == "about":
        return Count(math.floor(value * 0.9), value, math.ceil(value * 1.1), text)
    return Count(value, value, value, text)

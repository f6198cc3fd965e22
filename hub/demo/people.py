"""Invented people: names built from syllables, identifiers in a reserved synthetic range.

Names are not drawn from lists of real names, so no generated person can be mistaken for a
real one; identifiers use formats that real systems do not issue (PNC year 1900, CRN 'Z').
"""

from __future__ import annotations

import random
from datetime import date, timedelta

_ONSETS = (
    "B",
    "Br",
    "D",
    "Dr",
    "F",
    "G",
    "K",
    "L",
    "M",
    "N",
    "P",
    "Qu",
    "R",
    "S",
    "T",
    "Th",
    "V",
    "W",
    "Z",
    "Cr",
    "Gl",
    "Sk",
)
_VOWELS = ("a", "e", "i", "o", "u", "ae", "ia", "ou", "y")
_CODAS = ("", "n", "r", "l", "th", "x", "m", "nd", "rk", "s", "v", "sk")


def invented_name(rng: random.Random, syllables: int) -> str:
    parts = [rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS)]
    for _ in range(syllables - 1):
        parts.append(rng.choice(_ONSETS).lower() + rng.choice(_VOWELS) + rng.choice(_CODAS))
    return "".join(parts)


def synthetic_pnc(index: int, rng: random.Random) -> str:
    # Year 1900 marks the record as synthetic: no real PNC id was issued then.
    return f"1900/{index:07d}{rng.choice('ABCDEFGHJKLMNPQRTUVWXY')}"


def synthetic_crn(index: int) -> str:
    return f"Z{index:06d}"


def date_of_birth(rng: random.Random, today: date) -> date:
    return today - timedelta(days=rng.randint(19 * 365, 75 * 365))


def synthetic_address(rng: random.Random) -> tuple[str, str, str]:
    street = invented_name(rng, 2) + rng.choice((" Road", " Street", " Close", " Lane"))
    town = invented_name(rng, 2) + rng.choice(("ton", "ford", "by", " Vale"))
    # DM is not a UK postcode area, so no generated address is anybody's home.
    inward = f"{rng.randint(1, 9)}{rng.choice('ABDEFGHJLN')}{rng.choice('PQRSTUWXYZ')}"
    postcode = f"DM{rng.randint(1, 20)} {inward}"
    return f"{rng.randint(1, 180)} {street}", town, postcode

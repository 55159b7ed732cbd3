"""Who acted, when the dataset does not say: claims read from a source's words or inferred
from what only one side can do, and the grade of the attribution they support.

Pure: the reader (`extract.headlines`) turns a source's text into `TextAct`s; this
module turns those, the conduct and the agreement's actors into claims. A claim
never replaces what a dataset or a person recorded; it sits beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from ceasefire.core.model import Act

#: How a clause relates to the place of the row it is read for.
PlaceMatch = Literal["named", "only_clause", "other", "none"]


@dataclass(frozen=True)
class TextAct:
    """One act a clause of a source's text describes, with who it says acted and who was hit.

    `words` is the clause exactly as in the text (`text[span[0]:span[1]]`) and
    `agent_words` the words naming the agent: they are shown as the basis of a claim,
    never a paraphrase. `place_match`: the clause names this row's place, district or
    governorate (`named`); it is the only clause and names no place (`only_clause`);
    it names another place (`other`); several clauses and this one names none (`none`).
    `aggregate` marks a tally across places or days; `hedged` a "reportedly".
    """

    act: Act
    agent: str | None
    agent_words: str
    victims: tuple[str, ...]
    span: tuple[int, int]
    words: str
    place_match: PlaceMatch
    aggregate: bool
    hedged: bool

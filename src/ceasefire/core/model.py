"""The domain model as written in agreement files: actors, zones, agreements, readings.

These pydantic models are both the published JSON Schema (`ceasefire schema`)
and the validated, typed objects the rest of the code uses. They hold only what
the file says; resolving geometry and turning local times into UTC windows is
done by `ceasefire.formats.agreements` and `ceasefire.core.timing`.
"""

from __future__ import annotations

import datetime as dt
import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

ID_PATTERN = r"^[a-z0-9][a-z0-9_.-]*$"
Id = Annotated[str, Field(pattern=ID_PATTERN, description="stable lower-case id, e.g. `nusra`")]


class Category(StrEnum):
    """What the engine decides for one incident against one agreement and reading."""

    violation = "violation"
    permitted = "permitted"
    contested = "contested"
    not_bound = "not_bound"
    out_of_scope = "out_of_scope"
    indeterminate = "indeterminate"


class Act(StrEnum):
    """Kinds of act. `attack` is the parent of every violent act; the rest stand alone."""

    attack = "attack"
    air_strike = "air_strike"
    drone_strike = "drone_strike"
    shelling = "shelling"
    mortar = "mortar"
    missile = "missile"
    clash = "clash"
    bombing = "bombing"
    suicide_bombing = "suicide_bombing"
    shooting = "shooting"
    chemical = "chemical"
    execution = "execution"
    abduction = "abduction"
    sexual_violence = "sexual_violence"
    looting = "looting"
    territorial_gain = "territorial_gain"
    obstruct_aid = "obstruct_aid"
    arrest = "arrest"
    protest = "protest"
    agreement = "agreement"
    other = "other"
    # Exceptions an agreement may grant; they name a situation, not a weapon.
    attack_on_excluded = "attack_on_excluded"
    self_defence = "self_defence"


#: Acts that count as an `attack` when an agreement prohibits attacks.
VIOLENT_ACTS: frozenset[Act] = frozenset(
    {
        Act.attack,
        Act.air_strike,
        Act.drone_strike,
        Act.shelling,
        Act.mortar,
        Act.missile,
        Act.clash,
        Act.bombing,
        Act.suicide_bombing,
        Act.shooting,
        Act.chemical,
        Act.execution,
        Act.abduction,
        Act.sexual_violence,
    }
)


class Capability(StrEnum):
    """What only some actors can do: an act needing it is that side's when one side alone has it."""

    air = "air"
    drone = "drone"
    ballistic_missile = "ballistic_missile"


class Grade(StrEnum):
    """How well an incident's attribution is supported, on the Airwars scale.

    confirmed: the actor accepted responsibility; fair: two or more sources name the
    same side; weak: one source, a dataset's own coding, or an inference alone;
    contested: claims name different sides; discounted: a person found the claim
    wrong (combatants killed, or another party most likely responsible);
    undetermined: nobody says who acted.
    """

    confirmed = "confirmed"
    fair = "fair"
    weak = "weak"
    contested = "contested"
    discounted = "discounted"
    undetermined = "undetermined"


def act_is_prohibited(act: Act, prohibited: frozenset[Act]) -> bool:
    """An act is prohibited if it is listed, or if it is violent and `attack` is listed."""
    return act in prohibited or (Act.attack in prohibited and act in VIOLENT_ACTS)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Designation(_Strict):
    by: str = Field(description="designating body, e.g. `UNSC` (UN Security Council)")
    since: dt.date | None = Field(default=None, description="date of the designation")
    note: str | None = None


class Actor(_Strict):
    """An armed or political actor, with the names other datasets use for it."""

    id: Id
    name: str
    aliases: list[str] = Field(default_factory=list, description="other names and spellings")
    member_of: list[Id] = Field(
        default_factory=list, description="actors this one belongs to (a unit to a force)"
    )
    designations: list[Designation] = Field(default_factory=list)
    codes: dict[str, str | int | list[str | int]] = Field(
        default_factory=dict, description="codes in other datasets (ucdp, acled, cameo)"
    )
    capabilities: list[Capability] = Field(
        default_factory=list,
        description="means only some actors have here (air: flies aircraft over the area); "
        "an act needing it, in a dyad where one side alone has it, is inferred to be that side's",
    )
    recorded_under: list[Id] = Field(
        default_factory=list,
        description="actors whose side the datasets that record dyads file this actor's acts "
        "under (an ally's air strikes coded as the government's): a source naming this actor "
        "in such a dyad names who acted on that side",
    )
    note: str | None = None


GEOJSON_TYPES = (
    "Point",
    "MultiPoint",
    "LineString",
    "MultiLineString",
    "Polygon",
    "MultiPolygon",
    "GeometryCollection",
)


class Zone(_Strict):
    """A named area. `geometry` is inline GeoJSON, a GeoJSON file path, or `bundled:CODE`."""

    id: Id
    name: str
    geometry: dict[str, Any] | str = Field(
        description=(
            "an inline GeoJSON geometry; a path to a GeoJSON file relative to the agreement "
            "file; or `bundled:SY`, `bundled:SY06` (governorate P-code), `bundled:SY0302` "
            "(district P-code)"
        )
    )
    where: dict[str, str | int | float] | None = Field(
        default=None, description="with a GeoJSON file: keep features whose properties match"
    )
    source: str | None = None
    note: str | None = None

    @field_validator("geometry")
    @classmethod
    def _geometry_shape(cls, value: dict[str, Any] | str) -> dict[str, Any] | str:
        if isinstance(value, dict):
            kind = value.get("type")
            if kind in ("Feature", "FeatureCollection"):
                return value
            if kind not in GEOJSON_TYPES:
                raise ValueError(f"not a GeoJSON geometry: type {kind!r}")
        elif not value.strip():
            raise ValueError("empty geometry reference")
        return value


class Party(_Strict):
    """A party to an agreement; `since` is the local date it accepted (None: from the start)."""

    actor: Id
    since: dt.date | None = None
    note: str | None = None


class ExcludedDesignation(_Strict):
    """Exclude every actor designated by a body (the 2016 terms: groups the UNSC designates)."""

    designated_by: str


DURATION_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(h|d|w)\s*$")


def parse_duration(text: str) -> tuple[float, str]:
    """`72h` -> (72, 'h'); hours are elapsed time, days and weeks are local calendar days."""
    match = DURATION_RE.match(text)
    if not match:
        raise ValueError(f"duration {text!r} is not like `72h`, `7d` or `2w`")
    amount = float(match.group(1))
    if amount <= 0:
        raise ValueError(f"duration {text!r} must be positive")
    return amount, match.group(2)


def _check_duration(value: str | None) -> str | None:
    if value is not None:
        parse_duration(value)
    return value


class Reading(_Strict):
    """One party's own version of disputed terms; what it does not mention follows the text."""

    by: Id = Field(description="the actor whose reading this is")
    end: dt.datetime | None = Field(
        default=None, description="local end; `null` for open-ended (explicitly)"
    )
    duration: str | None = Field(default=None, description="`72h`, `7d`, `2w`")
    zones: list[Id] | None = None
    note: str | None = None
    source: str | None = None

    _check = field_validator("duration")(_check_duration)

    @model_validator(mode="after")
    def _end_or_duration(self) -> Reading:
        if self.end is not None and self.duration is not None:
            raise ValueError("give `end` or `duration`, not both")
        return self

    def sets_end(self) -> bool:
        """Whether the reading says anything about the end (an explicit `end: null` does)."""
        return "end" in self.model_fields_set or "duration" in self.model_fields_set


class SourceDocument(_Strict):
    title: str | None = None
    url: str | None = None
    date: dt.date | None = None
    publisher: str | None = None


class Escalation(_Strict):
    """When to refer persistent non-compliance upwards (the 2016 terms: to the ISSG ministers)."""

    violations: int = Field(
        ge=1, description="confirmed violations by one party that trigger a referral"
    )
    days: int = Field(
        ge=1, description="window in days, ending at each newly published ruling, to count in"
    )


class Agreement(_Strict):
    """One ceasefire instrument and its terms as written."""

    id: Id
    title: str
    kind: Literal[
        "cessation_of_hostilities",
        "ceasefire",
        "regime_of_quiet",
        "humanitarian_pause",
        "truce",
        "other",
    ] = "ceasefire"
    timezone: str = Field(description="IANA time zone of the local times, e.g. `Asia/Damascus`")
    start: dt.datetime = Field(description="local date-time the agreement takes effect")
    end: dt.datetime | None = Field(default=None, description="local end; `null`: open-ended")
    duration: str | None = Field(default=None, description="`72h`, `7d`, `2w` instead of `end`")
    zones: list[Id] = Field(min_length=1)
    parties: list[Id | Party] = Field(min_length=1)
    excluded: list[Id | ExcludedDesignation] = Field(default_factory=list)
    guarantors: list[Id] = Field(default_factory=list, description="co-chairs or guarantors")
    prohibited: list[Act] = Field(default_factory=lambda: [Act.attack])
    permitted: list[Act] = Field(default_factory=lambda: [Act.attack_on_excluded])
    readings: list[Reading] = Field(default_factory=list)
    adjudicators: list[Id] = Field(
        default_factory=list,
        description=(
            "actors whose adjudicators rule on allegations (e.g. the two co-chairs); a ruling "
            "is joint when each of them has signed"
        ),
    )
    ruling_due_days: int = Field(
        default=7, ge=1, description="days from filing an allegation to its ruling deadline"
    )
    escalation: Escalation | None = Field(
        default=None,
        description="refer a party whose confirmed violations reach `violations` in `days` days",
    )
    source: SourceDocument | None = None
    note: str | None = None

    _check = field_validator("duration")(_check_duration)

    @model_validator(mode="after")
    def _end_or_duration(self) -> Agreement:
        if self.end is not None and self.duration is not None:
            raise ValueError("give `end` or `duration`, not both")
        return self

    def party_list(self) -> list[Party]:
        return [p if isinstance(p, Party) else Party(actor=p) for p in self.parties]

    def excluded_ids(self) -> list[str]:
        return [e for e in self.excluded if isinstance(e, str)]

    def excluded_designators(self) -> list[str]:
        return [e.designated_by for e in self.excluded if isinstance(e, ExcludedDesignation)]


class AgreementFile(_Strict):
    """What one agreement file holds. Several files may be combined."""

    actors: list[Actor] = Field(default_factory=list)
    zones: list[Zone] = Field(default_factory=list)
    agreements: list[Agreement] = Field(default_factory=list)


def json_schema() -> dict[str, Any]:
    schema = AgreementFile.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://ceasefire.invalid/schema/agreement-file.json"
    schema["title"] = "ceasefire agreement file"
    return schema

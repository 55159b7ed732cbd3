"""The native incident record: one JSON object a line, as a pydantic model and a JSON Schema.

The reader validates every native row with `NativeIncident`, and the published
schema is generated from the same model, so what the schema allows and what
the reader accepts cannot drift apart. Records are open: producers add their
own fields (the extractor's evidence offsets, quotes, confidence), which are
allowed and ignored. What no JSON Schema can say is checked by the reader after
this model: that a date is on the calendar, that a time zone and a bundled
area code exist, that ids are unique in a file and an end is not before its
start.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    StrictFloat,
    StrictInt,
    StrictStr,
    Tag,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ceasefire.core.model import Act

#: Not blank: at least one character that is not white space.
NonBlank = Annotated[StrictStr, Field(pattern=r"\S")]
Count = Annotated[StrictFloat, Field(ge=0, allow_inf_nan=False)]
#: Bounds by field name, for messages in the readers' words (`'235' is outside -90..90`).
BOUNDS = {"lon": (-180.0, 180.0), "lat": (-90.0, 90.0), "radius_km": (0.0, 5000.0)}


def _not_null(value: Any) -> Any:
    if value is None:
        raise PydanticCustomError("float_type", "null is not a number")
    return value


# A number in its bounds that may be left out but not given as null.
Longitude = Annotated[
    Annotated[StrictFloat, Field(ge=-180, le=180, allow_inf_nan=False)] | None,
    BeforeValidator(_not_null),
    WithJsonSchema({"type": "number", "minimum": -180, "maximum": 180}),
]
Latitude = Annotated[
    Annotated[StrictFloat, Field(ge=-90, le=90, allow_inf_nan=False)] | None,
    BeforeValidator(_not_null),
    WithJsonSchema({"type": "number", "minimum": -90, "maximum": 90}),
]
RadiusKm = Annotated[
    Annotated[StrictFloat, Field(ge=0, le=5000, allow_inf_nan=False)] | None,
    BeforeValidator(_not_null),
    WithJsonSchema({"type": "number", "minimum": 0, "maximum": 5000}),
]

# Union members are told apart by the JSON type of the value, so an error comes
# from the one member the value was meant as. Tags start with `#` and are
# dropped from error locations.


def _is_object(value: Any) -> str:
    return "#object" if isinstance(value, dict | BaseModel) else "#value"


def _is_text(value: Any) -> str:
    return "#text" if isinstance(value, str) else "#object"


class _Open(BaseModel):
    """Fields this model does not name are kept: producers add their own."""

    model_config = ConfigDict(extra="allow", frozen=True)


class TimeSpec(_Open):
    """When: a local date or date-time in `timezone`, or a date-time with an offset."""

    start: NonBlank = Field(
        description="a date (the whole local day, `2016-04-27`) or an ISO date-time "
        "(`2016-04-27T10:00`, local; or with an offset, `2016-04-27T07:00Z`)"
    )
    end: StrictStr | None = Field(
        default=None,
        description="end of an interval: a date (to the end of that day) or a date-time",
    )
    precision: StrictStr | None = Field(
        default=None,
        description="how well the time is known (`exact`, `day`, `week`, `month`, `range`); "
        "by default from the form of `start` and `end`",
    )
    timezone: StrictStr | None = Field(
        default=None,
        description="IANA time zone of local dates and times (`Area/City`); "
        "else the reader's --timezone",
    )


TimeValue = Annotated[
    Annotated[TimeSpec, Tag("#object")] | Annotated[NonBlank, Tag("#value")],
    Discriminator(_is_object),
]


class Place(_Open):
    """Where: a point with an uncertainty radius, a bundled area, or both."""

    model_config = ConfigDict(
        json_schema_extra={
            "dependentRequired": {"lon": ["lat"], "lat": ["lon"]},
            "anyOf": [
                {"required": ["lon", "lat"]},
                {"required": ["area"], "properties": {"area": {"type": "string", "minLength": 1}}},
            ],
        }
    )

    name: StrictStr | None = Field(default=None, description="the place's name as reported")
    lon: Longitude = Field(default=None, description="WGS84 longitude (with `lat`)")
    lat: Latitude = Field(default=None, description="WGS84 latitude (with `lon`)")
    radius_km: RadiusKm = Field(
        default=None, description="uncertainty radius around the point, km (0 when exact)"
    )
    area: StrictStr | None = Field(
        default=None,
        description="a bundled boundary by its admin code (`<code>` or `bundled:<code>`, as in "
        "the region's boundaries): the incident happened "
        "somewhere inside it; without `lon`/`lat` its representative point stands in",
    )

    @model_validator(mode="after")
    def _point_or_area(self) -> Place:
        if (self.lon is None) != (self.lat is None):
            missing = "lat" if self.lat is None else "lon"
            raise PydanticCustomError(
                "missing_pair", "needs both `lon` and `lat`", {"field": missing}
            )
        if self.lon is None and not self.area:
            raise PydanticCustomError("place", "needs `lon` and `lat`, or an `area`")
        return self


class ActorClaim(_Open):
    """An actor as someone says: `claimed_by` null is the source's own attribution."""

    actor: Annotated[StrictStr, Field(min_length=1)] = Field(description="actor id or name")
    claimed_by: StrictStr | None = Field(
        default=None, description="who says so (an actor id or name); null: the source itself"
    )


class TargetClaim(ActorClaim):
    actor: StrictStr = Field(default="", description="actor id or name")


Perpetrator = Annotated[
    Annotated[StrictStr, Tag("#text")] | Annotated[ActorClaim, Tag("#object")],
    Discriminator(_is_text),
]
Target = Annotated[
    Annotated[StrictStr, Tag("#text")] | Annotated[TargetClaim, Tag("#object")],
    Discriminator(_is_text),
]


class Casualties(_Open):
    """Deaths as low, best and high estimates; missing ones follow from the others."""

    low: Count | None = Field(default=None, description="at least; default: `best`")
    best: Count | None = Field(default=None, description="best estimate; default: `low`")
    high: Count | None = Field(default=None, description="at most; default: `best`")


KilledValue = Annotated[
    Annotated[Casualties, Tag("#object")] | Annotated[Count, Tag("#value")],
    Discriminator(_is_object),
]


def _whole(value: Any) -> Any:
    """A whole number as JSON Schema means it: `5` and `5.0` are the same integer."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


WholeNumber = Annotated[StrictInt, BeforeValidator(_whole), WithJsonSchema({"type": "integer"})]
IdValue = Annotated[
    Annotated[NonBlank, Tag("#text")] | Annotated[WholeNumber, Tag("#number")],
    Discriminator(lambda value: "#text" if isinstance(value, str) else "#number"),
]


class NativeIncident(_Open):
    """One incident of a native JSON Lines file."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": ["time"], "properties": {"time": {"not": {"type": "null"}}}},
                {"required": ["date"], "properties": {"date": {"type": "string"}}},
            ]
        }
    )

    id: IdValue = Field(description="the incident's id in its source; unique in a file")
    date: NonBlank | None = Field(
        default=None, description="shorthand for `time: {start: date}` when `time` is absent"
    )
    time: TimeValue | None = Field(
        default=None,
        validate_default=True,
        description="an object, or just the `start` as text",
    )
    place: Place = Field(description="where it happened")
    act: Act | None = Field(default=None, description="kind of act; default `attack`")
    perpetrators: list[Perpetrator] | None = Field(
        default=None,
        description="who acted: actor names or ids, or claims `{actor, claimed_by}`; "
        "several claimants keep their attributions side by side",
    )
    targets: list[Target] | None = Field(
        default=None, description="who or what was hit: actors, `civilians`, ..."
    )
    killed: KilledValue | None = Field(
        default=None, description="deaths: `{low, best, high}`, or one number (the best)"
    )
    source: StrictStr | None = Field(
        default=None, description="the dataset or source; default `native`"
    )
    quote: StrictStr | None = Field(
        default=None,
        description="the source's own words about the incident (what attribution reads, and "
        "quotes as the basis of a claim it infers)",
    )
    source_name: StrictStr | None = Field(
        default=None, description="who published those words (a monitor, an outlet: `SOHR`)"
    )
    aggregate: StrictBool | None = Field(
        default=False,
        description='a running total over days or places ("in the past week"), not one '
        "event: never linked to another report as the same event",
    )
    directed: StrictBool | None = Field(
        default=True,
        description="whether the perpetrators acted on the targets (false: a clash "
        "between the sides, who struck first unknown)",
    )

    @field_validator("time", mode="after")
    @classmethod
    def _has_time(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None and info.data.get("date") is None:
            raise PydanticCustomError("time", "needs `time.start` (a date or an ISO date-time)")
        return value

    @property
    def ident(self) -> str:
        return str(self.id).strip()

    def time_spec(self) -> TimeSpec:
        if isinstance(self.time, TimeSpec):
            return self.time
        return TimeSpec(start=self.time if self.time is not None else str(self.date))


def incident_json_schema() -> dict[str, Any]:
    """The published JSON Schema of one native incident record (one line of a file)."""
    schema = NativeIncident.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["$id"] = "https://ceasefire.invalid/schema/incident.json"
    schema["title"] = "ceasefire native incident"
    schema["description"] = (
        "One incident a line of a native JSON Lines file. A line may instead be a document "
        "of `ceasefire extract` (an object with `incidents`, a list of such records)."
    )
    return schema


# -------------------------------------------------------------------- errors


def dotted(loc: tuple[str | int, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def problems(exc: ValidationError) -> list[tuple[str, str]]:
    """(field, message) for each error, the field as a path (`place.lat`, `perpetrators[0]`)."""
    out: list[tuple[str, str]] = []
    for err in exc.errors(include_url=False):
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("#")))
        ctx = err.get("ctx") or {}
        if "field" in ctx and (not loc or loc[-1] != ctx["field"]):
            loc = (*loc, ctx["field"])
        item = (dotted(loc) or "(row)", _message(err["type"], err, loc))
        if item not in out:
            out.append(item)
    return out


#: What a missing field's error says, by its path (list indices as `[0]`).
MISSING = {
    "id": "missing id",
    "place": "needs `place` with `lon` and `lat`, or an `area`",
    "time.start": "needs `time.start` (a date or an ISO date-time)",
    "perpetrators[0].actor": "needs an `actor`",
}


def _message(kind: str, err: Any, loc: tuple[str | int, ...]) -> str:
    value = err.get("input")
    name = loc[-1] if loc else ""
    if kind == "missing":
        return MISSING.get(
            dotted(tuple(p if isinstance(p, str) else 0 for p in loc)), "missing value"
        )
    if kind in ("greater_than_equal", "less_than_equal", "finite_number"):
        if name in BOUNDS:
            lo, hi = BOUNDS[str(name)]
            return f"{value!r} is outside {lo:g}..{hi:g}"
        return f"{value!r} is not a count"
    if kind == "float_type":
        return f"{'null' if value is None else repr(value)} is not a number"
    if kind == "int_type":
        return f"{value!r} is neither text nor a whole number"
    if kind == "string_type":
        return f"{value!r} is not text"
    if kind == "string_pattern_mismatch":
        return "must not be blank"
    if kind == "enum":
        return f"unknown {name} {value!r}"
    if kind == "list_type":
        return "must be a list"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        if len(loc) >= 2 and loc[-2] in ("perpetrators", "targets"):
            return f"{value!r} must be a name or an object with an `actor`"
        return f"{value!r} must be an object"
    return str(err["msg"]).removeprefix("Value error, ")


def validate_record(data: dict[str, Any]) -> NativeIncident:
    """The record as the model; `ValidationError` as pydantic raises it."""
    return NativeIncident.model_validate(data)


__all__ = [
    "ActorClaim",
    "Casualties",
    "NativeIncident",
    "Place",
    "TargetClaim",
    "TimeSpec",
    "incident_json_schema",
    "problems",
    "validate_record",
]

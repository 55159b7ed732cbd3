"""Models the API's resources share: a page of items, request bodies, GeoJSON."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Generic, Literal, Self, TypeVar

from pydantic import BaseModel, ConfigDict

T = TypeVar("T")


class Page(BaseModel, Generic[T]):
    """A page of a list; `total` is None where counting would cost a second scan."""

    items: list[T]
    total: int | None = None
    limit: int
    offset: int

    @classmethod
    def of(cls, items: Sequence[Any], total: int | None, limit: int, offset: int) -> Self:
        """A page of items as the services return them (plain values), checked here."""
        return cls.model_validate(
            {"items": items, "total": total, "limit": limit, "offset": offset}
        )


class Body(BaseModel):
    """A request body: an unknown field is a mistake worth reporting."""

    model_config = ConfigDict(extra="forbid")


class Open(BaseModel):
    """A response whose listed fields are documented; any others pass through unchanged."""

    model_config = ConfigDict(extra="allow")


class Feature(Open):
    type: Literal["Feature"]
    id: str | int | None = None
    geometry: dict[str, Any] | None
    properties: dict[str, Any]


class FeatureCollection(Open):
    type: Literal["FeatureCollection"]
    features: list[Feature]

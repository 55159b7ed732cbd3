"""One error type for bad input, so every interface can report it the same way."""

from __future__ import annotations


class InputError(ValueError):
    """Bad input: names the file, the record (or place in the document) and the field.

    Raised before anything is written, so a caller that catches it has nothing
    half-done to clean up.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        record: str | None = None,
        field: str | None = None,
        line: int | None = None,
        location: str | None = None,
    ) -> None:
        self.message = message
        self.location = location
        self.file = file
        self.record = record
        self.field = field
        self.line = line
        super().__init__(self.describe())

    def describe(self) -> str:
        where = []
        if self.file:
            where.append(f"{self.file}:{self.line}" if self.line else self.file)
        if self.location:
            where.append(self.location)
        else:
            if self.record:
                where.append(self.record)
            if self.field:
                where.append(f"field {self.field!r}")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


class InputErrors(InputError):
    """Several problems found in one file; all are reported at once."""

    def __init__(self, errors: list[InputError]) -> None:
        self.errors = errors
        first = errors[0]
        super().__init__(
            first.message,
            file=first.file,
            record=first.record,
            field=first.field,
            line=first.line,
            location=first.location,
        )

    def describe(self) -> str:
        errors = getattr(self, "errors", None)
        if not errors:
            return super().describe()
        lines = [e.describe() for e in errors]
        if len(lines) == 1:
            return lines[0]
        return f"{len(lines)} problems:\n" + "\n".join(f"  - {line}" for line in lines)

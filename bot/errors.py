"""Errors that carry a location a council officer can find in their own file."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class LocatedError:
    """One problem in an input file: which file, where in it, which field, and what to do."""

    file: str
    where: str | None  # "line 12", "row 5", "sheet measures, row 5"; None for the whole file
    field: str | None  # "measure SE1.2, decimals"
    message: str

    def __str__(self) -> str:
        parts = [self.file]
        if self.where:
            parts.append(self.where)
        if self.field:
            parts.append(self.field)
        return ", ".join(parts) + ": " + self.message


class InputRejected(Exception):
    """A file was refused; nothing from it has been written. Holds every problem found."""

    def __init__(self, errors: Sequence[LocatedError], what: str = "file") -> None:
        self.errors = list(errors)
        self.what = what
        super().__init__(self.summary())

    def summary(self) -> str:
        count = len(self.errors)
        noun = "problem" if count == 1 else "problems"
        lines = [f"The {self.what} was not imported: {count} {noun} to fix. Nothing was changed."]
        lines += [f"  - {error}" for error in self.errors]
        return "\n".join(lines)


class NotFound(LookupError):
    """An unknown reference or label; `suggestions` holds the closest known ones."""

    def __init__(self, message: str, suggestions: Sequence[str] = ()) -> None:
        self.suggestions = list(suggestions)
        if self.suggestions:
            message += " Did you mean " + _or_list(self.suggestions) + "?"
        super().__init__(message)


def _or_list(items: Sequence[str]) -> str:
    if len(items) == 1:
        return items[0]
    return ", ".join(items[:-1]) + " or " + items[-1]

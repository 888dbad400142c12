"""Bulk inserts for imports: one DBAPI `executemany` with each column's conversion looked up
once (issue 11, bigger councils).

SQLAlchemy's bulk paths (ORM `insert(Model)` with a list, or Core `table.insert()`) build and
convert every row's parameters through the compiled statement's machinery, several Python
calls per value: for a 10,000-measure history (240,000 submissions, reviews, values and audit
events) that was most of the import's time. Here the statement is compiled once by SQLAlchemy
for the connection's dialect (so its SQL, quoting and casts are SQLAlchemy's own) and the values
go through the very same bind processors (`ExactDecimal`, `UTCDateTime`, JSON …), in a plain
loop.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import repeat
from operator import is_
from typing import Any

from sqlalchemy import Table
from sqlmodel import Session

BATCH = 5_000  # rows per executemany: bounds the memory of converted parameters


def insert_rows(session: Session, model: Any, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT every row (each a dict with the same keys, column keys of `model`'s table) in the
    session's transaction."""
    if not rows:
        return
    table: Table = getattr(model, "__table__", model)
    session.flush()  # what the session holds goes first, as an ORM statement's autoflush does
    connection = session.connection()
    dialect = connection.dialect
    keys = list(rows[0])
    compiled = table.insert().compile(dialect=dialect, column_keys=keys)
    processors: dict[str, Callable[[Any], Any] | None] = {
        key: table.c[key].type._cached_bind_processor(dialect) for key in keys
    }
    # column by column: one `map` of the column's processor over its values
    columns = {
        key: _convert([row[key] for row in rows], process) for key, process in processors.items()
    }
    positional = compiled.positiontup
    converted: list[Any]
    if positional is not None:  # qmark / format: a tuple per row, in the statement's order
        converted = list(zip(*(columns[key] for key in positional), strict=True))
    else:  # named / pyformat: a dict per row
        converted = [
            dict(zip(keys, values, strict=True)) for values in zip(*columns.values(), strict=True)
        ]
    for start in range(0, len(converted), BATCH):
        connection.exec_driver_sql(compiled.string, converted[start : start + BATCH])


def _convert(values: list[Any], process: Callable[[Any], Any] | None) -> list[Any]:
    """A column's values through its bind processor. A column holding one and the same object
    in every row (the import's time stamp, its actor, a None) is converted once: a processor is
    a function of its value alone."""
    if process is None:
        return values
    first = values[0]
    if all(map(is_, values, repeat(first))):
        return [process(first)] * len(values)
    return list(map(process, values))

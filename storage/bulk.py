"""Bulk inserts for imports: one DBAPI `executemany` (SQLite) or one `COPY` (PostgreSQL) with
each column's conversion looked up once (issue 11, bigger councils).

SQLAlchemy's bulk paths (ORM `insert(Model)` with a list, or Core `table.insert()`) build and
convert every row's parameters through the compiled statement's machinery, several Python
calls per value: for a 10,000-measure history (240,000 submissions, reviews, values and audit
events) that was most of the import's time. Here the statement is compiled once by SQLAlchemy
for the connection's dialect (so its SQL, quoting and casts are SQLAlchemy's own) and the values
go through the very same bind processors (`ExactDecimal`, `UTCDateTime`, JSON …), in a plain
loop.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import repeat
from operator import is_
from typing import Any

from sqlalchemy import Connection, Table
from sqlmodel import Session

BATCH = 5_000  # rows per executemany: bounds the memory of converted parameters


def insert_rows(session: Session, model: Any, rows: Sequence[dict[str, Any]]) -> None:
    """INSERT every row (each a dict with the same keys, column keys of `model`'s table) in the
    session's transaction."""
    if not rows:
        return
    insert_columns(session, model, {key: [row[key] for row in rows] for key in rows[0]})


def insert_columns(session: Session, model: Any, columns: Mapping[str, Sequence[Any]]) -> None:
    """INSERT rows given column by column (each column key of `model`'s table → its values,
    all of one length; row n is every column's n-th value) in the session's transaction. A
    column that is the same for every row can be `[value] * n`: it is converted once."""
    lengths = {len(values) for values in columns.values()}
    if len(lengths) != 1:
        raise ValueError(f"columns of different lengths: {sorted(lengths)}")
    if not lengths.pop():
        return
    table: Table = getattr(model, "__table__", model)
    session.flush()  # what the session holds goes first, as an ORM statement's autoflush does
    connection = session.connection()
    dialect = connection.dialect
    keys = list(columns)
    # column by column: one `map` of the column's processor over its values
    converted_columns = {
        key: _convert(list(columns[key]), table.c[key].type._cached_bind_processor(dialect))
        for key in keys
    }
    if dialect.name == "postgresql":
        _copy(connection, table, converted_columns)
        return
    compiled = table.insert().compile(dialect=dialect, column_keys=keys)
    positional = compiled.positiontup
    converted: list[Any]
    if positional is not None:  # qmark / format: a tuple per row, in the statement's order
        converted = list(zip(*(converted_columns[key] for key in positional), strict=True))
    else:  # named / pyformat: a dict per row
        converted = [
            dict(zip(keys, values, strict=True))
            for values in zip(*converted_columns.values(), strict=True)
        ]
    for start in range(0, len(converted), BATCH):
        connection.exec_driver_sql(compiled.string, converted[start : start + BATCH])


def _copy(connection: Connection, table: Table, columns: Mapping[str, list[Any]]) -> None:
    """PostgreSQL: the rows through one `COPY … FROM STDIN` on the session's own connection, in
    its transaction. psycopg's `executemany` sends each row as its own prepared INSERT (tens of
    microseconds of Python per row, and as much again in the server); COPY streams them, with
    each value dumped by the same psycopg adapter an INSERT would use (the JSON columns' `Json`
    wrappers included) and every constraint and foreign key checked as for an INSERT."""
    preparer = connection.dialect.identifier_preparer
    names = ", ".join(preparer.quote(table.c[key].name) for key in columns)
    statement = f"COPY {preparer.format_table(table)} ({names}) FROM STDIN"
    raw = connection.connection.driver_connection
    assert raw is not None
    with raw.cursor() as cursor, cursor.copy(statement) as copy:
        for row in zip(*columns.values(), strict=True):
            copy.write_row(row)


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

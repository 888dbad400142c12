"""The measure register: the council's methodology statements made machine-readable.

PRODUCT §3 and seed 002 Appendix 2. A register comes from YAML, or from CSV / XLSX with one row
per measure and the same field names as columns. Reading is all-or-nothing: every problem is
collected with its location (file, line or row, field) and `InputRejected` lists them all.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Context, Decimal, InvalidOperation
from enum import StrEnum
from itertools import islice
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
)

from bot.calendar import DEFAULT_PERFORMANCE_BOARD_WEEKS, DEFAULT_REPORTING_LAG, Region
from bot.chat import channels
from bot.errors import InputRejected, LocatedError
from bot.periods import Interval, Period, PeriodError
from bot.projects import DEFAULT_AMBER_DAYS, KIND_PROJECT, MAX_MILESTONES
from bot.ragg import DEFAULT_TOLERANCE, Polarity, Target

EMAIL = re.compile(r"^[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
CODE = re.compile(r"^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z0-9]+)*$")

Path_ = tuple[str | int, ...]

SEGREGATION = (
    "the reviewer must be a different person from the collector "
    "(segregation of duties, framework §10.5)"
)


class Format(StrEnum):
    PERCENTAGE = "percentage"
    NUMBER = "number"
    CURRENCY = "currency"


class Confidence(StrEnum):
    """Seed 002 Appendix 2: green = from a system, amber = manual, red = project-based."""

    GREEN = "green"
    AMBER = "amber"
    RED = "red"


# -- field types ------------------------------------------------------------------------------


def _email(value: Any) -> str:
    if not isinstance(value, str) or not EMAIL.match(value.strip()):
        raise ValueError(f"'{value}' is not an e-mail address (expected name@council.gov.uk)")
    if len(value.strip()) > 254:
        raise ValueError("is too long for an e-mail address: at most 254 characters")
    return value.strip().lower()


def _code(value: Any) -> str:
    text = str(value).strip() if value is not None else ""
    if not CODE.match(text):
        raise ValueError(
            f"'{value}' is not a reference: use letters, digits and dots, such as SE1.2"
        )
    if len(text) > 20:
        raise ValueError(f"'{text}' is too long for a reference: at most 20 characters")
    return text.upper()


def _at_most(limit: int) -> Any:
    """The database column's length limit, checked here so that it is a located error."""

    def check(value: Any) -> Any:
        if isinstance(value, str) and len(value) > limit:
            raise ValueError(f"is too long: at most {limit} characters (found {len(value)})")
        return value

    return AfterValidator(check)


def _target(value: Any) -> Any:
    """A target: a number, or [low, high] for a range."""
    if isinstance(value, list):
        return [_decimal(item) for item in value]
    if value is None:
        raise ValueError("is empty: write a number such as 30, or [low, high] for a range")
    return _decimal(value)


def _period_label(value: Any) -> str:
    try:
        return Period.parse(str(value)).label
    except PeriodError as error:
        raise ValueError(str(error)) from None


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _text(value: Any) -> str:
    if value is None:
        raise ValueError("must not be empty")
    if isinstance(value, (dict, list, tuple, set)):
        raise ValueError("must be text, not a list or a group of fields")
    text = str(value).strip()
    if not text:
        raise ValueError("must not be empty")
    control = _CONTROL.search(text)
    if control:
        raise ValueError(
            f"holds an invisible control character (U+{ord(control.group()):04X}) at character "
            f"{control.start() + 1}: retype the text there"
        )
    return text


# What the database keeps exactly (NUMERIC(30, 10) on PostgreSQL).
MAX_INTEGER_DIGITS = 20
MAX_DECIMAL_PLACES = 10
_WIDE = Context(prec=MAX_INTEGER_DIGITS + MAX_DECIMAL_PLACES + 10)


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise ValueError(f"'{value}' is not a number")
    if isinstance(value, float):
        value = repr(value)  # YAML floats: keep the digits the officer wrote
    try:
        number = Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise ValueError(f"'{value}' is not a number") from None
    if not number.is_finite():
        raise ValueError(f"'{value}' is not a number")
    if number and number.adjusted() >= MAX_INTEGER_DIGITS:
        raise ValueError(
            f"'{value}' is too large: at most {MAX_INTEGER_DIGITS} digits before the decimal point"
        )
    if number and (
        number.adjusted() < -MAX_DECIMAL_PLACES
        or int(number.normalize(_WIDE).as_tuple().exponent) < -MAX_DECIMAL_PLACES
    ):
        raise ValueError(f"'{value}' has more than {MAX_DECIMAL_PLACES} decimal places")
    return number


def _optional(convert: Any) -> Any:
    def validate(value: Any) -> Any:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        return convert(value)

    return validate


def _date(value: Any) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError:
        raise ValueError(f"'{value}' is not a date: write it as YYYY-MM-DD") from None


def _list(value: Any) -> Any:
    # CSV and spreadsheet cells hold lists as "a; b" or "a, b".
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in re.split(r"[;,]", value) if part.strip()]
    return value


Email = Annotated[str, BeforeValidator(_email)]
OptionalEmail = Annotated[str | None, BeforeValidator(_optional(_email))]
Code = Annotated[str, BeforeValidator(_code)]
PeriodLabel = Annotated[str, BeforeValidator(_period_label)]
Text = Annotated[str, BeforeValidator(_text)]
OptionalText = Annotated[str | None, BeforeValidator(_optional(_text))]
Number = Annotated[Decimal, BeforeValidator(_decimal)]
OptionalNumber = Annotated[Decimal | None, BeforeValidator(_optional(_decimal))]
Day = Annotated[date, BeforeValidator(_date)]


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Baseline(Spec):
    period: PeriodLabel
    value: OptionalNumber = None


TargetValue = Annotated[
    Annotated[Decimal | list[Decimal], Field(union_mode="left_to_right")],
    BeforeValidator(_target),
]


class UnitsSpec(Spec):
    """A unit in both numbers: units: {one: incident, other: incidents}."""

    one: Annotated[Text, _at_most(40)]
    other: Annotated[Text, _at_most(40)]


def _units(value: Any) -> Any:
    """units: a plural word ("homes"), or both numbers ({one: home, other: homes})."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, UnitsSpec):
        return value
    if isinstance(value, Mapping):
        given = {str(key).strip().lower(): item for key, item in value.items()}
        if set(given) != {"one", "other"}:
            raise ValueError(
                "write units as a word such as incidents, or as {one: incident, other: incidents}"
            )
        words = {key: _text(item) for key, item in given.items()}
        for word in words.values():
            if len(word) > 40:
                raise ValueError(f"is too long: at most 40 characters (found {len(word)})")
        return UnitsSpec(one=words["one"], other=words["other"])
    text = _text(value)
    if len(text) > 40:
        raise ValueError(f"is too long: at most 40 characters (found {len(text)})")
    return text


class MilestoneSpec(Spec):
    """A project's milestone: what is to be delivered, and by when (seed 004 §5–6)."""

    title: Annotated[Text, _at_most(300)]
    due: Day


class MeasureSpec(Spec):
    """One methodology statement (seed 002 Appendix 2)."""

    ref: Code
    title: Text
    definition: Text
    interval: Interval
    reporting_lag: int = Field(DEFAULT_REPORTING_LAG, ge=0, le=60)
    format: Format
    decimals: int = Field(ge=0, le=6)
    polarity: Polarity
    cumulative: bool = False
    monitoring_only: bool = False
    tolerance: Annotated[Decimal, BeforeValidator(_decimal), Field(ge=0, le=100)] = (
        DEFAULT_TOLERANCE
    )
    tolerance_abs: OptionalNumber = None
    committee: Annotated[OptionalText, _at_most(50)] = None
    confidence: Confidence | None = None
    data_source: OptionalText = None
    baseline: Baseline | None = None
    targets: dict[PeriodLabel, TargetValue] = Field(default_factory=dict)
    collector: Email
    cover: OptionalEmail = None
    reviewer: Email
    head_of_service: Email
    # Plural, as in "homes"; the singular is derived ("1 home"), or given as {one:, other:}.
    units: Annotated[str | UnitsSpec | None, BeforeValidator(_units)] = None
    benchmarking: OptionalText = None
    # The rest of the methodology statement (seed 002 Appendix 2); optional on import, listed
    # as gaps by `pmf-bot register check`.
    purpose: OptionalText = None  # "Summary of measure": what the measure is for
    worked_example: OptionalText = None  # "Summary of measurement": a worked example
    quality_assurance: OptionalText = None  # how the data is checked for accuracy
    strategic_lead: OptionalEmail = None
    # Set only for a project written under an aim's `projects:` (ProjectSpec.as_measure): a
    # project is stored and reported beside the measures, with milestones instead of targets.
    kind: Literal["measure", "project"] = "measure"
    milestones: tuple[MilestoneSpec, ...] = ()

    @property
    def units_other(self) -> str | None:
        return self.units.other if isinstance(self.units, UnitsSpec) else self.units

    @property
    def units_one(self) -> str | None:
        return self.units.one if isinstance(self.units, UnitsSpec) else None

    def target_map(self) -> dict[Period, Target]:
        return {Period.parse(key): _as_target(value) for key, value in self.targets.items()}


class ProjectSpec(Spec):
    """A project beside the measures under an aim (issue 14; seed 002 §6.1.6 "measures or
    projects"): reported quarterly by milestones, with a RAGG from the register's rule."""

    ref: Code
    title: Text
    description: OptionalText = None
    owner: Email  # the Head of Service who owns the project: escalations and sign-off
    collector: Email
    cover: OptionalEmail = None
    reviewer: Email
    reporting_lag: int = Field(DEFAULT_REPORTING_LAG, ge=0, le=60)
    committee: Annotated[OptionalText, _at_most(50)] = None
    milestones: list[MilestoneSpec] = Field(default_factory=list)

    def as_measure(self) -> MeasureSpec:
        """The project as the register's other rows hold it: quarterly, its figure the number
        of milestones done, its RAGG from milestones (bot.projects), never from a target."""
        return MeasureSpec(
            ref=self.ref,
            title=self.title,
            definition=self.description or self.title,
            interval=Interval.QUARTERLY,
            reporting_lag=self.reporting_lag,
            format=Format.NUMBER,
            decimals=0,
            polarity=Polarity.HIGHER,
            committee=self.committee,
            collector=self.collector,
            cover=self.cover,
            reviewer=self.reviewer,
            head_of_service=self.owner,
            units=UnitsSpec(one="milestone done", other="milestones done"),
            kind="project",
            milestones=tuple(self.milestones),
        )


class AimSpec(Spec):
    code: Code
    title: Text
    measures: list[MeasureSpec] = Field(default_factory=list)
    projects: list[ProjectSpec] = Field(default_factory=list)


class PrioritySpec(Spec):
    code: Code
    name: Annotated[Text, _at_most(300)]
    aims: list[AimSpec] = Field(default_factory=list)


class PersonSpec(Spec):
    email: Email
    name: Annotated[Text, _at_most(200)]
    manager: OptionalEmail = None


def _clock_time(value: Any) -> str:
    text = str(value).strip()
    if isinstance(value, int) and not isinstance(value, bool):
        # YAML 1.1 reads an unquoted 09:00 as the sexagesimal number 540 (minutes).
        text = f"{value // 60:02d}:{value % 60:02d}"
    match = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", text)
    if not match:
        raise ValueError(f"'{value}' is not a time of day: write it as HH:MM, such as 09:00")
    return f"{int(match.group(1)):02d}:{match.group(2)}"


class RemindersSpec(Spec):
    """When to chase (PRODUCT §6 defaults)."""

    before: list[Annotated[int, Field(ge=1, le=30)]] = Field(default_factory=lambda: [5, 1])
    deadline_day: bool = True
    at: Annotated[str, BeforeValidator(_clock_time)] = "09:00"
    review_after: int = Field(2, ge=0, le=30)
    escalate: bool = True
    overdue_every: int = Field(2, ge=0, le=30)  # working days between overdue nudges (0: none)


class ExceptionStatus(StrEnum):
    RED = "red"
    AMBER = "amber"


def _exception_reports(value: Any) -> Any:
    value = _list(value)
    if isinstance(value, list) and "red" not in [str(item).strip().lower() for item in value]:
        raise ValueError(
            "exception reports are always written for Red measures: write [red], or "
            "[red, amber] to have them for Amber measures too"
        )
    return [str(item).strip().lower() for item in value] if isinstance(value, list) else value


class CalendarSpec(Spec):
    region: Region = Region.ENG
    closure_days: Annotated[list[Day], BeforeValidator(_list)] = Field(default_factory=list)
    performance_board_weeks: int = Field(DEFAULT_PERFORMANCE_BOARD_WEEKS, ge=0, le=26)
    committee_dates: dict[PeriodLabel, Annotated[list[Day], BeforeValidator(_list)]] = Field(
        default_factory=dict
    )
    reminders: RemindersSpec = Field(default_factory=RemindersSpec)
    # Which measures need an exception report with actions to improve (seed 002 §6.1.8: Red;
    # some councils ask for Amber too, seed 000).
    exception_reports: Annotated[list[ExceptionStatus], BeforeValidator(_exception_reports)] = (
        Field(default_factory=lambda: [ExceptionStatus.RED])
    )
    # The report must be approved this many working days before each committee meeting
    # (the committee's agenda deadline; seed 002 §9, Figure 1).
    agenda_deadline: int = Field(10, ge=0, le=60)
    # A project's RAGG rule (issue 14): a milestone up to this many working days late is
    # Amber, later than that Red.
    project_amber_days: int = Field(DEFAULT_AMBER_DAYS, ge=0, le=60)


class DirectorateSpec(Spec):
    """A directorate: its Executive Director approves the quarter's report for the Heads of
    Service in it (seed 002 §10.2, §11.2)."""

    name: Annotated[Text, _at_most(100)]
    executive_director: Email
    heads_of_service: Annotated[list[Email], BeforeValidator(_list)] = Field(default_factory=list)


class LeadershipSpec(Spec):
    """The Leadership Team's approval of the quarter's report before it goes to committee: any
    one of `approvers` approves for the team (seed 002 §10.3, §11.3)."""

    approvers: Annotated[list[Email], BeforeValidator(_list)] = Field(default_factory=list)


def _channel(value: Any) -> str:
    return channels.address(_text(value))


Channel = Annotated[str, BeforeValidator(_channel)]


class ChannelsSpec(Spec):
    """Where summaries go (bot.chat.channels): a Slack or a Teams channel each."""

    all: Annotated[str | None, BeforeValidator(_optional(_channel))] = None
    priorities: dict[Code, Channel] = Field(default_factory=dict)


class RegisterSpec(Spec):
    """A whole register file. `council` is None for a CSV file, which holds measures only."""

    council: Annotated[OptionalText, _at_most(200)] = None
    calendar: CalendarSpec | None = None
    admins: Annotated[list[Email], BeforeValidator(_list)] = Field(default_factory=list)
    people: list[PersonSpec] = Field(default_factory=list)
    channels: ChannelsSpec | None = None
    directorates: list[DirectorateSpec] = Field(default_factory=list)
    leadership_team: LeadershipSpec | None = None
    priorities: list[PrioritySpec] = Field(default_factory=list)

    def measures(self) -> Iterator[tuple[PrioritySpec, AimSpec, MeasureSpec]]:
        for priority in self.priorities:
            for aim in priority.aims:
                for measure in aim.measures:
                    yield priority, aim, measure
                for project in aim.projects:
                    yield priority, aim, project.as_measure()

    def emails(self) -> set[str]:
        """Everyone the register names."""
        found = {person.email for person in self.people} | set(self.admins)
        found |= {person.manager for person in self.people if person.manager}
        for _, _, measure in self.measures():
            found |= {measure.collector, measure.reviewer, measure.head_of_service}
            if measure.cover:
                found.add(measure.cover)
            if measure.strategic_lead:
                found.add(measure.strategic_lead)
        for directorate in self.directorates:
            found.add(directorate.executive_director)
            found |= set(directorate.heads_of_service)
        if self.leadership_team:
            found |= set(self.leadership_team.approvers)
        return found


def _as_target(value: Decimal | list[Decimal]) -> Target:
    if isinstance(value, list):
        return Target(value[0], value[1])
    return Target(value)


# -- where things are in the file ----------------------------------------------------------


@dataclass
class Locator:
    """Maps a path inside the parsed document to 'line N' / 'row N' in the source file."""

    file: str
    unit: str  # "line" or "row"
    places: dict[Path_, int] = field(default_factory=dict)
    prefix: str = ""  # e.g. "sheet measures, "

    def where(self, path: Sequence[str | int]) -> str | None:
        probe = tuple(path)
        while probe:
            if probe in self.places:
                return f"{self.prefix}{self.unit} {self.places[probe]}"
            probe = probe[:-1]
        return self.prefix.rstrip(", ") or None


@dataclass
class Document:
    data: Any
    locator: Locator
    field_names: dict[Path_, str] = field(default_factory=dict)  # CSV: path → column title
    errors: list[LocatedError] = field(default_factory=list)  # found while reading a table


_RECORDS = {
    "priorities": ("priority", "code"),
    "aims": ("aim", "code"),
    "measures": ("measure", "ref"),
    "projects": ("project", "ref"),
    "milestones": ("milestone", "title"),
    "people": ("person", "email"),
}


def describe(path: Sequence[str | int], data: Any) -> str:
    """'measure SE1.2, baseline.value' for a path into the register document."""
    record: str | None = None
    rest: list[str] = []
    node = data
    i = 0
    while i < len(path):
        step = path[i]
        following = path[i + 1] if i + 1 < len(path) else None
        if isinstance(step, str) and step in _RECORDS and isinstance(following, int):
            items = node.get(step) if isinstance(node, Mapping) else None
            item = items[following] if isinstance(items, list) and following < len(items) else None
            noun, key = _RECORDS[step]
            label = item.get(key) if isinstance(item, Mapping) else None
            named = f"{noun} {label if label else following + 1}"
            # A milestone is named within its project: "project SE1.P1, milestone Design".
            record = f"{record}, {named}" if step == "milestones" and record else named
            rest = []
            node = item
            i += 2
            continue
        rest.append(f"item {step + 1}" if isinstance(step, int) else str(step))
        if isinstance(node, Mapping):
            node = node.get(step)
        elif isinstance(node, list) and isinstance(step, int) and step < len(node):
            node = node[step]
        else:
            node = None
        i += 1
    return ", ".join(part for part in (record, ".".join(rest)) if part)


# -- YAML -------------------------------------------------------------------------------------


class _Constructor(yaml.constructor.SafeConstructor):
    pass


MAX_DEPTH = 30  # a register nests about 8 deep; anything far deeper is not a register


class _Refused(Exception):
    """A YAML construct a register must not use, found at `mark`."""

    def __init__(self, mark: Any, message: str) -> None:
        super().__init__(message)
        self.mark = mark
        self.message = message


try:  # libyaml's parser when PyYAML was built with it (much faster); marks are the same
    from yaml._yaml import CParser as _CParser

    def _parser(text: str) -> Any:
        return _CParser(text)

except ImportError:  # pragma: no cover - PyYAML without libyaml

    class _PyParser(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):
        def __init__(self, stream: str) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)

    def _parser(text: str) -> Any:
        return _PyParser(text)


_STR = "tag:yaml.org,2002:str"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_IMPLICIT: dict[Any, list[tuple[str, re.Pattern[str]]]] = (
    yaml.resolver.Resolver.yaml_implicit_resolvers
)
_WILDCARD = _IMPLICIT.get(None, [])
_PLAIN_INT = re.compile(r"[1-9][0-9]*|0").fullmatch
_PLAIN_FLOAT = re.compile(r"[-+]?[0-9]+\.[0-9]+").fullmatch


def _resolve(event: Any) -> str:
    """The tag PyYAML's resolver gives a scalar (YAML 1.1 implicit types), as the composer did."""
    tag = event.tag
    if tag is not None and tag != "!":
        return str(tag)
    implicit = event.implicit
    if implicit[0]:
        value = event.value
        for resolved, regexp in _IMPLICIT.get(value[0] if value else "", []) + _WILDCARD:
            if regexp.match(value):
                return resolved
    return _STR


class _EventReader:
    """Builds plain dicts, lists and scalars straight from the parser's events (libyaml's when
    available), noting the line of every key and item as it goes.

    The same document PyYAML's composer and SafeConstructor would give, without building a
    node tree first: parse cost stays flat per measure as a register grows. Anchors (&name)
    and aliases (*name) are refused as soon as they are met, before anything is built, and so
    is nesting deeper than MAX_DEPTH. An alias repeats another part of the file; walking a tree
    of repeats of repeats is how a few hundred bytes ("billion laughs") become gigabytes. A
    register never needs one.
    """

    def __init__(self, parser: Any, locator: Locator, file: str) -> None:
        self.next = parser.get_event
        self.places = locator.places
        self.file = file
        self.errors: list[LocatedError] = []
        self.constructor = _Constructor()

    def document(self) -> tuple[bool, Any]:
        """(False, None) for an empty stream, else (True, the single document's data)."""
        self.next()  # STREAM-START
        event = self.next()
        if isinstance(event, yaml.StreamEndEvent):
            return False, None
        root = self.next()  # after DOCUMENT-START
        data = self.value(root, (), 1)
        self.next()  # DOCUMENT-END
        event = self.next()
        if not isinstance(event, yaml.StreamEndEvent):
            raise yaml.composer.ComposerError(
                "expected a single document in the stream",
                root.start_mark,
                "but found another document",
                event.start_mark,
            )
        return True, data

    def check(self, event: Any, depth: int) -> None:
        if type(event) is yaml.AliasEvent:
            raise _Refused(
                event.start_mark,
                f"'*{event.anchor}' repeats another part of the file (a YAML alias); a register "
                "does not allow aliases: write the value out in full",
            )
        anchor = event.anchor
        if anchor is not None:
            raise _Refused(
                event.start_mark,
                f"'&{anchor}' names part of the file for repeating (a YAML anchor); a register "
                f"does not allow anchors or aliases: remove '&{anchor}' and write values in full",
            )
        if depth > MAX_DEPTH:
            raise _Refused(
                event.start_mark,
                f"the file nests lists and sections more than {MAX_DEPTH} deep; a register "
                "is much flatter: check the indentation",
            )

    def value(self, event: Any, path: Path_, depth: int) -> Any:
        self.check(event, depth)
        self.places.setdefault(path, event.start_mark.line + 1)
        kind = type(event)
        if kind is yaml.ScalarEvent:
            value = self.scalar(event, path)
            return None if value is _UNREADABLE else value
        if kind is yaml.SequenceStartEvent:
            items: list[Any] = []
            index = 0
            while True:
                event = self.next()
                if type(event) is yaml.SequenceEndEvent:
                    return items
                items.append(self.value(event, (*path, index), depth + 1))
                index += 1
        return self.mapping(path, depth)

    def mapping(self, path: Path_, depth: int) -> dict[Any, Any]:
        result: dict[Any, Any] = {}
        places = self.places
        while True:
            event = self.next()
            if type(event) is yaml.MappingEndEvent:
                return result
            self.check(event, depth + 1)
            line = event.start_mark.line + 1
            if type(event) is yaml.ScalarEvent:
                key = self.scalar(event, path)
            else:  # a list or mapping as a key: built as PyYAML would, then refused below
                key = _construct(
                    self.node(event, depth + 1), path, self.constructor, self.errors, self.file
                )
            if key is _UNREADABLE:
                self.skip(depth + 1)
                continue
            try:
                hash(key)
            except TypeError:
                self.errors.append(
                    LocatedError(
                        self.file,
                        f"line {line}",
                        describe(path, {}) or None,
                        "a field name must be a plain word, not a list or a mapping",
                    )
                )
                self.skip(depth + 1)
                continue
            key = str(key) if isinstance(key, (str, int, float, date)) else key
            if key in result:
                self.errors.append(
                    LocatedError(
                        self.file,
                        f"line {line}",
                        describe(path, {}) or None,
                        f"'{key}' appears twice; keep one",
                    )
                )
                self.skip(depth + 1)
                continue
            child = (*path, key)
            places[child] = line
            result[key] = self.value(self.next(), child, depth + 1)
            places[child] = line

    def scalar(self, event: Any, path: Path_) -> Any:
        tag = _resolve(event)
        value = event.value
        if tag == _STR:
            return value
        if len(value) < 16:  # short plain numbers directly; anything else as PyYAML builds it
            if tag == _INT and _PLAIN_INT(value):
                return int(value)
            if tag == _FLOAT and _PLAIN_FLOAT(value):
                return float(value)
        node = yaml.ScalarNode(tag, value, event.start_mark, event.end_mark, style=event.style)
        built = _construct(node, path, self.constructor, self.errors, self.file)
        self.constructor.constructed_objects.clear()
        return built

    def skip(self, depth: int) -> None:
        """Read past the value of a key that is not kept (still refusing anchors and depth)."""
        self.node(self.next(), depth)

    def node(self, first: Any, depth: int) -> yaml.Node:
        """A PyYAML node from the events (for the rare parts the reader does not build)."""
        self.check(first, depth)
        kind = type(first)
        if kind is yaml.ScalarEvent:
            return yaml.ScalarNode(
                _resolve(first), first.value, first.start_mark, first.end_mark, style=first.style
            )
        start = first
        event: Any = None
        children: list[Any] = []
        end_kind = (
            yaml.SequenceEndEvent if kind is yaml.SequenceStartEvent else yaml.MappingEndEvent
        )
        while True:
            event = self.next()
            if type(event) is end_kind:
                break
            children.append(self.node(event, depth + 1))
        end_mark: Any = event.end_mark
        if kind is yaml.SequenceStartEvent:
            return yaml.SequenceNode(
                start.tag if start.tag not in (None, "!") else "tag:yaml.org,2002:seq",
                children,
                start.start_mark,
                end_mark,
                flow_style=start.flow_style,
            )
        pairs = list(zip(children[::2], children[1::2], strict=True))
        return yaml.MappingNode(
            start.tag if start.tag not in (None, "!") else "tag:yaml.org,2002:map",
            pairs,
            start.start_mark,
            end_mark,
            flow_style=start.flow_style,
        )


def read_yaml(text: str, file: str) -> Document:
    """Parse YAML keeping the line of every key and value; duplicate keys are errors, and so
    are anchors, aliases and very deep nesting."""
    locator = Locator(file, "line")
    try:
        parser = _parser(text)
        try:
            reader = _EventReader(parser, locator, file)
            found, data = reader.document()
        finally:
            parser.dispose()
    except _Refused as refused:
        where = f"line {refused.mark.line + 1}" if refused.mark else None
        raise InputRejected(
            [LocatedError(file, where, None, refused.message)], "register"
        ) from None
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"line {mark.line + 1}" if mark else None
        problem = error.problem or "the file is not valid YAML"
        raise InputRejected(
            [LocatedError(file, where, None, f"not valid YAML: {problem}")], "register"
        ) from None
    except yaml.reader.ReaderError as error:
        character: Any = error.character
        if isinstance(character, int):  # libyaml: a code point, at a byte offset of the UTF-8
            before = text.encode("utf-8")[: max(error.position, 0)].count(b"\n")
        else:
            before = text.count("\n", 0, max(error.position, 0))
            character = ord(character) if isinstance(character, str) and character else 0
        raise InputRejected(
            [
                LocatedError(
                    file,
                    f"line {before + 1}",
                    None,
                    f"not valid YAML: the invisible character U+{character:04X} is not allowed; "
                    "delete it or retype the text around it",
                )
            ],
            "register",
        ) from None
    except yaml.YAMLError as error:
        raise InputRejected(
            [LocatedError(file, None, None, f"not valid YAML: {error}")], "register"
        ) from None
    if not found:
        raise InputRejected([LocatedError(file, None, None, "the file is empty")], "register")
    if reader.errors:
        raise InputRejected(reader.errors, "register")
    return Document(data, locator)


_UNREADABLE = object()


def _construct(
    node: yaml.Node,
    path: Path_,
    constructor: _Constructor,
    errors: list[LocatedError],
    file: str,
) -> Any:
    """A key or value as Python; a tag or value YAML cannot build is a located error."""
    try:
        return constructor.construct_object(node, deep=True)
    except yaml.MarkedYAMLError as error:
        message = f"not valid YAML: {error.problem or 'this value cannot be read'}"
    except (ValueError, TypeError, OverflowError) as error:
        if str(node.tag).endswith(":timestamp"):
            message = f"'{node.value}' is not a real date ({error})"
        else:
            message = f"'{node.value}' cannot be read ({error})"
    errors.append(
        LocatedError(file, f"line {node.start_mark.line + 1}", describe(path, {}) or None, message)
    )
    return _UNREADABLE


# -- CSV and XLSX -----------------------------------------------------------------------------

# Columns that place a measure in the hierarchy when the register is a table.
PLACEMENT_COLUMNS = ("priority", "priority_name", "aim", "aim_title")


def read_table(rows: Sequence[Sequence[Any]], file: str, prefix: str = "") -> Document:
    """Turn measure rows (first row = column titles) into a register document."""
    locator = Locator(file, "row", prefix=prefix)
    errors: list[LocatedError] = []
    if not rows or not any(cell not in (None, "") for cell in rows[0]):
        raise InputRejected(
            [LocatedError(file, None, None, "the file has no header row of field names")],
            "register",
        )
    header = [str(cell).strip() if cell is not None else "" for cell in rows[0]]
    missing = [name for name in ("priority", "aim") if name not in header]
    for name in missing:
        errors.append(
            LocatedError(
                file,
                f"{prefix}row 1",
                None,
                f"column '{name}' is missing: each row must name the {name} of its measure",
            )
        )
    seen: set[str] = set()
    for column, name in enumerate(header, start=1):
        if name and name in seen:
            errors.append(
                LocatedError(
                    file, f"{prefix}row 1", None, f"column '{name}' appears twice (column {column})"
                )
            )
        seen.add(name)
    priorities: dict[str, dict[str, Any]] = {}
    aims: dict[str, dict[str, Any]] = {}
    for number, row in enumerate(rows[1:], start=2):
        cells = {name: _cell(value) for name, value in zip(header, row, strict=False) if name}
        if all(value is None for value in cells.values()):
            continue
        priority_code = _clean_code(cells.pop("priority", None))
        priority_name = cells.pop("priority_name", None)
        aim_code = _clean_code(cells.pop("aim", None))
        aim_title = cells.pop("aim_title", None)
        if priority_code is None or aim_code is None:
            if not missing:
                errors.append(
                    LocatedError(
                        file,
                        f"{prefix}row {number}",
                        "priority" if priority_code is None else "aim",
                        "is empty: say which priority and aim the measure belongs to",
                    )
                )
            continue
        priority = priorities.setdefault(
            priority_code, {"code": priority_code, "name": priority_name, "aims": []}
        )
        if priority["name"] is None:
            priority["name"] = priority_name
        aim = aims.get(aim_code)
        if aim is None:
            aim = {"code": aim_code, "title": aim_title, "measures": []}
            aims[aim_code] = aim
            priority["aims"].append(aim)
            priority_index = list(priorities).index(priority_code)
            locator.places[("priorities", priority_index)] = number
            locator.places[("priorities", priority_index, "aims", len(priority["aims"]) - 1)] = (
                number
            )
        elif not any(item is aim for item in priority["aims"]):
            owner = next(code for code, item in priorities.items() if aim in item["aims"])
            errors.append(
                LocatedError(
                    file,
                    f"{prefix}row {number}",
                    "aim",
                    f"aim {aim_code} is already under priority {owner}; an aim belongs to one "
                    "priority, so give this row that priority or another aim",
                )
            )
            continue
        elif aim["title"] is None:
            aim["title"] = aim_title
        measure = _unflatten(cells, file, f"{prefix}row {number}", errors)
        priority_index = list(priorities).index(priority_code)
        aim_index = priority["aims"].index(aim)
        locator.places[
            ("priorities", priority_index, "aims", aim_index, "measures", len(aim["measures"]))
        ] = number
        aim["measures"].append(measure)
    for priority in priorities.values():
        priority["name"] = priority["name"] or priority["code"]
        for aim in priority["aims"]:
            aim["title"] = aim["title"] or aim["code"]
    return Document({"priorities": list(priorities.values())}, locator, errors=errors)


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, date):
        # Spreadsheets turn "2025-07" into a date; a month label is what was meant.
        return f"{value.year:04d}-{value.month:02d}"
    return value


def _clean_code(value: Any) -> str | None:
    return None if value is None else str(value).strip().upper() or None


def _unflatten(
    cells: dict[str, Any], file: str, where: str, errors: list[LocatedError]
) -> dict[str, Any]:
    """`baseline.period` → {"baseline": {"period": …}}; `targets` cells read as YAML flow."""
    measure: dict[str, Any] = {}
    for name, value in cells.items():
        if value is None:
            continue
        if name == "targets" and isinstance(value, str):
            measure["targets"] = _targets_cell(value, file, where, errors)
        elif name == "targets" and not isinstance(value, str):
            errors.append(
                LocatedError(file, where, "targets", "write targets as 2025-26: 30; 2026-27: 35")
            )
        elif "." in name:
            head, _, rest = name.partition(".")
            holder = measure.setdefault(head, {})
            if isinstance(holder, dict):
                holder[rest] = _target_cell(value) if head == "targets" else value
        else:
            measure[name] = value
    return measure


def _targets_cell(text: str, file: str, where: str, errors: list[LocatedError]) -> Any:
    result: dict[str, Any] = {}
    for part in [piece.strip() for piece in text.split(";") if piece.strip()]:
        key, sep, value = part.partition(":")
        if not sep or not value.strip():
            errors.append(
                LocatedError(
                    file,
                    where,
                    "targets",
                    f"'{part}' is not a target: write targets as 2025-26: 30; 2026-27: [40, 56]",
                )
            )
            continue
        result[key.strip()] = _target_cell(value.strip())
    return result


def _target_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("[") and value.endswith("]"):
        return [part.strip() for part in value[1:-1].split(",")]
    return value


# -- reading files safely ---------------------------------------------------------------------

MAX_FILE_BYTES = 10 * 1024 * 1024  # a 1,000-measure register is under 1 MB
MAX_UNPACKED_BYTES = 100 * 1024 * 1024  # what a workbook (a zip) may unpack to
MAX_ROWS = 100_000
MAX_COLUMNS = 200

_WIDE_BOMS = {
    b"\xff\xfe\x00\x00": "UTF-32",
    b"\x00\x00\xfe\xff": "UTF-32",
    b"\xff\xfe": "UTF-16",
    b"\xfe\xff": "UTF-16",
}


def _a(what: str) -> str:
    return f"{'an' if what[:1] in 'aeiou' else 'a'} {what}"


def _refuse(file: str, message: str, what: str, where: str | None = None) -> InputRejected:
    return InputRejected([LocatedError(file, where, None, message)], what)


def check_file(path: Path, what: str) -> None:
    """The file exists and is not too large to be what it claims (checked before reading)."""
    if not path.is_file():
        raise _refuse(str(path), "there is no such file", what)
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise _refuse(
            path.name,
            f"is {size / 1024 / 1024:.1f} MB, more than the {MAX_FILE_BYTES // 1024 // 1024} MB "
            f"{_a(what)} may be: check it is the right file, or split it",
            what,
        )


def decode_text(raw: bytes, file: str, what: str, *, windows: bool) -> str:
    """UTF-8 (with or without a byte order mark); with `windows`, Windows-1252 too (Excel's
    "CSV" on Windows). UTF-16 and other encodings are refused with what to do."""
    wide = next((name for bom, name in _WIDE_BOMS.items() if raw.startswith(bom)), None)
    if wide is None and b"\x00" in raw[:4096]:
        wide = "UTF-16"  # ASCII text in UTF-16 without a byte order mark is half zero bytes
    if wide:
        save = "'CSV UTF-8 (Comma delimited)'" if windows else "UTF-8"
        raise _refuse(file, f"is {wide} text, which pmf-bot does not read: save it as {save}", what)
    if b"\x00" in raw:
        raise _refuse(file, "has zero bytes in it, so it is not a text file", what)
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        if not windows:
            line = raw.count(b"\n", 0, error.start) + 1
            raise _refuse(
                file, f"is not UTF-8 text ({error.reason}): save it as UTF-8", what, f"line {line}"
            ) from None
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError as error:
        raise _refuse(
            file,
            f"is not UTF-8 or Windows-1252 text (byte {error.start + 1}); "
            "save it from Excel as 'CSV UTF-8 (Comma delimited)'",
            what,
        ) from None


def read_csv_rows(path: Path, what: str = "register") -> list[list[str]]:
    check_file(path, what)
    text = decode_text(path.read_bytes(), path.name, what, windows=True)
    sample = text[:4096]
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    # Only the delimiter is guessed; quoting is always Excel's ("" inside a quoted cell is
    # one "), which the sniffer gets wrong when the sample happens to hold no "".
    reader = csv.reader(io.StringIO(text), csv.excel, delimiter=delimiter)
    try:
        rows = list(islice(reader, MAX_ROWS + 1))  # one more than allowed, to know it is more
    except csv.Error as error:
        raise _refuse(
            path.name,
            f"cannot be read as CSV ({error}); save it again from Excel as 'CSV UTF-8'",
            what,
            f"row {reader.line_num}",
        ) from None
    if len(rows) > MAX_ROWS:
        raise _refuse(path.name, _too_many_rows(what), what, f"row {MAX_ROWS + 1}")
    return rows


def _too_many_rows(what: str) -> str:
    return f"has more than {MAX_ROWS:,} rows, more than {_a(what)} may have: split it"


def read_xlsx_rows(
    path: Path, preferred: Sequence[str], what: str = "register"
) -> tuple[str, list[list[Any]]]:
    """The rows of the first sheet named in `preferred` (case-insensitive), else the first.

    A workbook is a zip: its declared unpacked size is checked before anything is unpacked
    (zip reads stop at the declared size), and at most MAX_ROWS rows of MAX_COLUMNS columns are
    read, whatever the sheet claims its size is.
    """
    import zipfile

    from openpyxl import load_workbook

    check_file(path, what)
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(member.file_size for member in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as error:
        raise _refuse(path.name, f"cannot be opened as a workbook ({error})", what) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise _refuse(
            path.name,
            f"unpacks to {unpacked / 1024 / 1024:,.0f} MB, far more than {_a(what)} needs: "
            "check it is the right file",
            what,
        )
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged workbook
        raise _refuse(path.name, f"cannot be opened as a workbook ({error})", what) from None
    rows: list[list[Any]] = []
    try:
        try:
            names = {name.lower(): name for name in workbook.sheetnames}
            title = next((names[p] for p in preferred if p in names), workbook.sheetnames[0])
            prefix = f"sheet {title}, "
            sheet = workbook[title]
            for number, row in enumerate(
                sheet.iter_rows(max_col=MAX_COLUMNS + 1, values_only=True), start=1
            ):
                if number > MAX_ROWS:
                    if row.count(None) != len(row) and any(c not in (None, "") for c in row):
                        raise _refuse(
                            path.name, _too_many_rows(what), what, f"{prefix}row {number}"
                        )
                    continue  # padding up to the sheet's declared size, not data
                cells = list(row)
                while cells and cells[-1] in (None, ""):
                    cells.pop()  # a sheet's declared size pads every row with empty cells
                if len(cells) > MAX_COLUMNS:
                    raise _refuse(
                        path.name,
                        f"has more than {MAX_COLUMNS} columns, more than {_a(what)} may have",
                        what,
                        f"{prefix}row {number}",
                    )
                rows.append(cells)
        except InputRejected:
            raise
        except Exception as error:  # a damaged sheet inside a sound zip
            raise _refuse(path.name, f"cannot be read as a workbook ({error})", what) from None
    finally:
        workbook.close()
    while rows and not rows[-1]:
        rows.pop()
    return title, rows


# -- validation -------------------------------------------------------------------------------

_MESSAGES = {
    "missing": "is required but missing",
    "extra_forbidden": "is not a field the register knows",
    "bool_parsing": "must be true or false",
    "bool_type": "must be true or false",
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "int_from_float": "must be a whole number",
    "dict_type": "must be a set of named values",
    "list_type": "must be a list",
    "model_type": "must be a set of named values",
    "string_type": "must be text",
}


def _message(error: Mapping[str, Any]) -> str:
    kind = error["type"]
    if kind == "enum":
        expected = error.get("ctx", {}).get("expected", "")
        return f"'{error.get('input')}' is not allowed; use {expected.replace(chr(39), '')}"
    if kind in ("greater_than_equal", "less_than_equal"):
        return _range_message(error)
    if kind == "value_error":
        return str(error.get("ctx", {}).get("error", error["msg"]))
    if kind in _MESSAGES:
        found = error.get("input")
        suffix = f" (found '{found}')" if kind not in ("missing", "extra_forbidden") else ""
        return _MESSAGES[kind] + suffix
    return str(error["msg"])


def _range_message(error: Mapping[str, Any]) -> str:
    path = error["loc"]
    name = path[-1] if path else "value"
    limits = {
        "decimals": "0 to 6",
        "reporting_lag": "0 to 60 working days",
        "agenda_deadline": "0 to 60 working days",
        "project_amber_days": "0 to 60 working days",
        "tolerance": "0 to 100 (per cent)",
        "performance_board_weeks": "0 to 26",
    }
    allowed = limits.get(str(name), "the allowed range")
    return f"must be from {allowed} (found {error.get('input')})"


def _validation_errors(
    exc: ValidationError, document: Document, prefix: Path_ = ()
) -> list[LocatedError]:
    found: list[LocatedError] = []
    for error in exc.errors():
        path = (*prefix, *_clean_path(error["loc"]))
        if error["type"] == "extra_forbidden":
            message = f"'{path[-1]}' is not a field the register knows; check its spelling"
        else:
            message = _message(error)
        found.append(
            LocatedError(
                document.locator.file,
                document.locator.where(path),
                describe(path, document.data) or None,
                message,
            )
        )
    return found


def _clean_path(loc: Sequence[Any]) -> Path_:
    # pydantic adds the union branch ("list[...]", "function-before[...]") to the location.
    return tuple(
        part
        for part in loc
        if not (isinstance(part, str) and ("[" in part or part.startswith(("function-",))))
    )


def _rule_errors(
    shell: RegisterSpec | None,
    measures: Sequence[tuple[Path_, MeasureSpec]],
    projects: Sequence[tuple[Path_, ProjectSpec]],
    document: Document,
) -> list[LocatedError]:
    """Rules across fields and records: PRODUCT §3's validation list."""
    errors: list[LocatedError] = []
    locate = document.locator.where

    def add(path: Path_, message: str) -> None:
        errors.append(
            LocatedError(
                document.locator.file, locate(path), describe(path, document.data) or None, message
            )
        )

    for path, project in projects:
        _project_rules(project, path, add)
    for path, measure in measures:
        _measure_rules(measure, path, add)
        if measure.kind == KIND_PROJECT or measure.milestones:
            add(
                (*path, "kind" if measure.kind == KIND_PROJECT else "milestones"),
                "a project goes in the aim's projects: list, not in measures",
            )
    first_seen: dict[str, Path_] = {}
    for path, raw in [*_raw_measures(document.data), *_raw_projects(document.data)]:
        try:
            ref = _code(raw.get("ref")) if isinstance(raw, Mapping) else None
        except ValueError:
            continue  # reported as a bad ref already
        if ref is None:
            continue
        if ref in first_seen:
            other = locate(first_seen[ref]) or "earlier"
            add(
                (*path, "ref"),
                f"ref {ref} is used twice (also at {other}); each measure and project needs "
                "its own ref",
            )
        first_seen.setdefault(ref, path)
    if shell is None:
        return errors
    codes: set[str] = set()
    for p_index, priority in enumerate(shell.priorities):
        if priority.code in codes:
            add(("priorities", p_index, "code"), f"priority code {priority.code} is used twice")
        codes.add(priority.code)
        for a_index, aim in enumerate(priority.aims):
            if aim.code in codes:
                add(
                    ("priorities", p_index, "aims", a_index, "code"),
                    f"code {aim.code} is already used by another aim or priority",
                )
            codes.add(aim.code)
    people: set[str] = set()
    for index, person in enumerate(shell.people):
        if person.email in people:
            add(("people", index, "email"), f"{person.email} is listed twice in people")
        people.add(person.email)
    _chain_rules(shell, [*measures, *((path, p.as_measure()) for path, p in projects)], add)
    if shell.channels:
        for code in shell.channels.priorities:
            if code not in {priority.code for priority in shell.priorities}:
                add(
                    ("channels", "priorities", code),
                    f"there is no priority {code} in this register",
                )
    return errors


def _chain_rules(
    shell: RegisterSpec, measures: Sequence[tuple[Path_, MeasureSpec]], add: Any
) -> None:
    """Directorates and the Leadership Team: each Head of Service in one directorate, every
    Head of Service placed once directorates are given, and approvers who are not the Heads of
    Service whose work they approve."""
    placed: dict[str, str] = {}
    names: set[str] = set()
    for index, directorate in enumerate(shell.directorates):
        if directorate.name.lower() in names:
            add(("directorates", index, "name"), f"directorate {directorate.name} is listed twice")
        names.add(directorate.name.lower())
        for h_index, email in enumerate(directorate.heads_of_service):
            if email in placed:
                add(
                    ("directorates", index, "heads_of_service", h_index),
                    f"{email} is already in the {placed[email]} directorate; a Head of Service "
                    "belongs to one directorate",
                )
            placed.setdefault(email, directorate.name)
        if directorate.executive_director in directorate.heads_of_service:
            add(
                ("directorates", index, "executive_director"),
                "the Executive Director approves the Heads of Service's sign-off, so cannot be "
                "one of them",
            )
    if shell.directorates:
        missing: dict[str, Path_] = {}
        for path, measure in measures:
            if measure.head_of_service not in placed:
                missing.setdefault(measure.head_of_service, (*path, "head_of_service"))
        for email, path in missing.items():
            add(
                path,
                f"{email} is a Head of Service in no directorate: add them to the "
                "heads_of_service of one of the directorates",
            )
    if shell.leadership_team is not None and not shell.leadership_team.approvers:
        add(
            ("leadership_team", "approvers"),
            "name at least one approver, or leave out leadership_team",
        )


def _project_rules(project: ProjectSpec, path: Path_, add: Any) -> None:
    """A project's own rules: segregation of duties as for a measure, and milestones to report
    on, each named once."""
    if project.reviewer == project.collector:
        add((*path, "reviewer"), SEGREGATION)
    if project.cover and project.cover == project.collector:
        add((*path, "cover"), "the cover must be a second officer, not the collector")
    if not project.milestones:
        add(
            (*path, "milestones"),
            "a project needs at least one milestone: list them as {title: ..., due: YYYY-MM-DD}",
        )
    if len(project.milestones) > MAX_MILESTONES:
        add(
            (*path, "milestones"),
            f"a project may have at most {MAX_MILESTONES} milestones (found "
            f"{len(project.milestones)}); group the smaller steps into larger ones",
        )
    seen: set[str] = set()
    for index, milestone in enumerate(project.milestones):
        if milestone.title.lower() in seen:
            add(
                (*path, "milestones", index, "title"),
                f"milestone '{milestone.title}' is listed twice in this project",
            )
        seen.add(milestone.title.lower())


def _measure_rules(measure: MeasureSpec, path: Path_, add: Any) -> None:
    if measure.reviewer == measure.collector:
        add((*path, "reviewer"), SEGREGATION)
    if measure.cover and measure.cover == measure.collector:
        add((*path, "cover"), "the cover must be a second officer, not the collector")
    if (
        measure.baseline
        and measure.format is Format.PERCENTAGE
        and measure.baseline.value is not None
    ):
        _check_percent(measure.baseline.value, (*path, "baseline", "value"), add)
    for key, value in measure.targets.items():
        target_path = (*path, "targets", key)
        if isinstance(value, list):
            if measure.polarity is not Polarity.RANGE:
                add(target_path, "a [low, high] target needs polarity: range")
                continue
            if len(value) != 2:
                add(target_path, "a range target needs exactly two numbers: [low, high]")
                continue
            if value[0] > value[1]:
                add(target_path, f"the low end {value[0]} is above the high end {value[1]}")
            numbers = value
        else:
            if measure.polarity is Polarity.RANGE:
                add(
                    target_path,
                    f"polarity is range, so the target must be [low, high], not {value}",
                )
                continue
            numbers = [value]
        for number in numbers:
            if measure.format is Format.PERCENTAGE:
                _check_percent(number, target_path, add)
    if measure.tolerance_abs is not None and measure.tolerance_abs < 0:
        add((*path, "tolerance_abs"), "must not be negative")


def _check_percent(number: Decimal, path: Path_, add: Any) -> None:
    if not Decimal(0) <= number <= Decimal(100):
        add(path, f"{number} is not a percentage: it must be from 0 to 100")


def validate(document: Document) -> RegisterSpec:
    """Check a parsed document against the register rules; raise `InputRejected` if any fail.

    Each measure is validated on its own, so one run reports every problem in the file.
    """
    errors: list[LocatedError] = list(document.errors)
    measures: list[tuple[Path_, MeasureSpec]] = []
    projects: list[tuple[Path_, ProjectSpec]] = []
    shell = _without_measures(document.data)
    for path, raw in _raw_measures(document.data):
        try:
            measures.append((path, MeasureSpec.model_validate(raw)))
        except ValidationError as exc:
            errors += _validation_errors(exc, document, path)
            errors += _raw_rule_errors(path, raw, document)
    for path, raw in _raw_projects(document.data):
        try:
            projects.append((path, ProjectSpec.model_validate(raw)))
        except ValidationError as exc:
            errors += _validation_errors(exc, document, path)
            errors += _raw_rule_errors(path, raw, document)
    shell_spec: RegisterSpec | None = None
    try:
        shell_spec = RegisterSpec.model_validate(shell)
    except ValidationError as exc:
        errors += _validation_errors(exc, document)
    errors += _rule_errors(shell_spec, measures, projects, document)
    if errors:
        raise InputRejected(sorted(errors, key=_position), "register")
    for path, measure in measures:
        _, p_index, _, a_index, _, _ = path
        shell["priorities"][p_index]["aims"][a_index]["measures"].append(measure)
    for path, project in projects:
        _, p_index, _, a_index, _, _ = path
        shell["priorities"][p_index]["aims"][a_index]["projects"].append(project)
    return RegisterSpec.model_validate(shell)


def _raw_rule_errors(path: Path_, raw: Any, document: Document) -> list[LocatedError]:
    """Segregation of duties, checked even on a measure with other problems, so that one run
    lists it too."""
    if not isinstance(raw, Mapping):
        return []
    collector, reviewer = raw.get("collector"), raw.get("reviewer")
    if (
        isinstance(collector, str)
        and isinstance(reviewer, str)
        and (collector.strip().lower() == reviewer.strip().lower())
    ):
        where = (*path, "reviewer")
        return [
            LocatedError(
                document.locator.file,
                document.locator.where(where),
                describe(where, document.data),
                SEGREGATION,
            )
        ]
    return []


def _position(error: LocatedError) -> tuple[int, str]:
    number = re.search(r"(\d+)$", error.where or "")
    return (int(number.group(1)) if number else 0, error.where or "")


def _raw_measures(data: Any) -> Iterator[tuple[Path_, Any]]:
    for p_index, priority in enumerate(_items(data, "priorities")):
        for a_index, aim in enumerate(_items(priority, "aims")):
            for m_index, measure in enumerate(_items(aim, "measures")):
                yield ("priorities", p_index, "aims", a_index, "measures", m_index), measure


def _raw_projects(data: Any) -> Iterator[tuple[Path_, Any]]:
    for p_index, priority in enumerate(_items(data, "priorities")):
        for a_index, aim in enumerate(_items(priority, "aims")):
            for index, project in enumerate(_items(aim, "projects")):
                yield ("priorities", p_index, "aims", a_index, "projects", index), project


def _items(node: Any, key: str) -> list[Any]:
    value = node.get(key) if isinstance(node, Mapping) else None
    return value if isinstance(value, list) else []


def _without_measures(data: Any) -> Any:
    """A copy of the document with every aim's measures and projects emptied (validated
    separately)."""
    if not isinstance(data, Mapping) or not isinstance(data.get("priorities"), list):
        return data
    shell = dict(data)
    shell["priorities"] = []
    for priority in data["priorities"]:
        if isinstance(priority, Mapping) and isinstance(priority.get("aims"), list):
            priority = dict(priority)
            priority["aims"] = [
                {**aim, "measures": [], **_emptied(aim, "projects")}
                if isinstance(aim, Mapping)
                else aim
                for aim in priority["aims"]
            ]
        shell["priorities"].append(priority)
    return shell


def _emptied(node: Mapping[str, Any], key: str) -> dict[str, Any]:
    """`key` emptied when it holds a list (its items are validated one by one); anything else
    is left for the shell's validation to report."""
    return {key: []} if isinstance(node.get(key, []), list) else {}


def load_register(path: Path | str) -> RegisterSpec:
    """Read and validate a register file (.yaml/.yml, .csv or .xlsx)."""
    path = Path(path)
    file = path.name
    check_file(path, "register")
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        text = decode_text(path.read_bytes(), file, "register", windows=False)
        document = read_yaml(text, file)
        if not isinstance(document.data, dict):
            raise InputRejected(
                [
                    LocatedError(
                        file,
                        "line 1",
                        None,
                        "a register starts with 'council:' and lists 'priorities:'",
                    )
                ],
                "register",
            )
        return validate(document)
    if suffix == ".csv":
        return validate(read_table(read_csv_rows(path), file))
    if suffix == ".xlsx":
        title, rows = read_xlsx_rows(path, ("measures", "register"))
        return validate(read_table(rows, file, prefix=f"sheet {title}, "))
    raise InputRejected(
        [LocatedError(file, None, None, "use a .yaml, .yml, .csv or .xlsx file")], "register"
    )


__all__ = [
    "PLACEMENT_COLUMNS",
    "AimSpec",
    "Baseline",
    "CalendarSpec",
    "ChannelsSpec",
    "Confidence",
    "ExceptionStatus",
    "Format",
    "MeasureSpec",
    "MilestoneSpec",
    "PersonSpec",
    "PrioritySpec",
    "ProjectSpec",
    "RegisterSpec",
    "UnitsSpec",
    "load_register",
    "validate",
]

"""Synthetic but realistic benchmark data: a measure register and its actuals history.

Everything is generated from a seeded random number generator, so the same `measures` and
`seed` always give byte-identical files. The register follows PRODUCT §3 (four Council Plan
priorities, each with several aims); the actuals file covers the financial years 2022-23 to
2025-26 with one row per period of each measure's interval.

All names, e-mail addresses and figures are invented.
"""

from __future__ import annotations

import csv
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.periods import Interval, fy_label, periods_of_year

DOMAIN = "example.gov.uk"
TARGET_YEARS = tuple(range(2022, 2027))  # 2022-23 … 2026-27
HISTORY_YEARS = tuple(range(2022, 2026))  # 2022-23 … 2025-26
COMMITTEES = ("E&DS", "H&CS", "F&M")

PRIORITIES = (
    ("SE", "Shape our Environment", "#environment-performance"),
    ("DE", "Develop our Economy", "#economy-performance"),
    ("SC", "Support our Communities", "#communities-performance"),
    ("TC", "Transform the Council", "#council-performance"),
)

_FIRST = [
    "Alex",
    "Amy",
    "Ben",
    "Chris",
    "Dana",
    "Ella",
    "Fiona",
    "Gareth",
    "Hannah",
    "Imran",
    "Jane",
    "Kate",
    "Liam",
    "Maya",
    "Nina",
    "Owen",
    "Priya",
    "Ravi",
    "Sam",
    "Sunita",
    "Tom",
    "Una",
    "Vikram",
    "Wendy",
    "Yusuf",
    "Zoe",
]
_LAST = [
    "Bennett",
    "Carter",
    "Clarke",
    "Davies",
    "Evans",
    "Fletcher",
    "Grant",
    "Hughes",
    "Iqbal",
    "Jones",
    "Khan",
    "Lewis",
    "Morgan",
    "Novak",
    "Okafor",
    "Patel",
    "Price",
    "Robinson",
    "Shah",
    "Taylor",
    "Walker",
    "Wright",
    "Young",
]
_SUBJECTS = (
    "household waste recycled",
    "fly-tipping incidents cleared",
    "planning applications determined in time",
    "major planning applications determined",
    "council tax collected",
    "business rates collected",
    "homelessness cases prevented",
    "affordable homes delivered",
    "housing benefit claims processed",
    "complaints answered in time",
    "freedom of information requests answered",
    "staff sickness days",
    "leisure centre visits",
    "street lights repaired",
    "missed bin collections",
    "licensing applications processed",
    "empty homes brought back into use",
    "food hygiene inspections completed",
    "invoices paid within 30 days",
    "calls answered within 60 seconds",
)
_COMMENTS = (
    "In line with the seasonal pattern.",
    "Slightly below target because of staff vacancies in the team.",
    "Above target after the new process went live.",
    "Demand was higher than forecast this period.",
    "Figures checked against the system report.",
    "",
    "",
    "",
)


@dataclass(frozen=True)
class MeasurePlan:
    """What the actuals generator needs to know about one generated measure."""

    ref: str
    interval: Interval
    format: str
    decimals: int
    polarity: str
    cumulative: bool
    level: float  # typical value for one period


@dataclass(frozen=True)
class Generated:
    register: Path
    actuals: Path
    measures: int
    first_ref: str
    actual_rows: int
    people: int
    intervals: dict[str, int]


def _interval(rng: random.Random) -> Interval:
    roll = rng.random()
    if roll < 0.30:
        return Interval.MONTHLY
    if roll < 0.85:
        return Interval.QUARTERLY
    if roll < 0.95:
        return Interval.BIANNUAL
    return Interval.ANNUAL


def _spread(total: int, parts: int) -> list[int]:
    """`total` split into `parts` near-equal whole numbers."""
    base, extra = divmod(total, parts)
    return [base + (1 if index < extra else 0) for index in range(parts)]


def _round(value: float, decimals: int) -> float | int:
    rounded = round(value, decimals)
    return int(rounded) if decimals == 0 else rounded


def _people(rng: random.Random, measures: int) -> dict[str, Any]:
    """An Executive Director, one Head of Service per priority, managers and officers."""
    used: set[str] = set()

    def person(manager: str | None) -> dict[str, Any]:
        while True:
            first, last = rng.choice(_FIRST), rng.choice(_LAST)
            email = f"{first}.{last}".lower()
            suffix = 1
            while email + (str(suffix) if suffix > 1 else "") in used:
                suffix += 1
            email += str(suffix) if suffix > 1 else ""
            used.add(email)
            name = f"{first} {last}"
            return {"email": f"{email}@{DOMAIN}", "name": name, "manager": manager}

    director = person(None)
    heads = [person(director["email"]) for _ in PRIORITIES]
    managers_per_head = max(2, measures // 100)
    managers = {
        head["email"]: [person(head["email"]) for _ in range(managers_per_head)] for head in heads
    }
    officers: dict[str, list[dict[str, Any]]] = {}
    for group in managers.values():
        for manager in group:
            officers[manager["email"]] = [person(manager["email"]) for _ in range(3)]
    everyone = [director, *heads]
    for head in heads:
        for manager in managers[head["email"]]:
            everyone.append(manager)
            everyone.extend(officers[manager["email"]])
    return {
        "director": director,
        "heads": heads,
        "managers": managers,
        "officers": officers,
        "everyone": everyone,
    }


def _targets(rng: random.Random, plan: MeasurePlan, periods_per_year: int) -> dict[str, Any] | None:
    """Yearly targets 2022-23 … 2026-27 (a `[low, high]` pair for range measures)."""
    targets: dict[str, Any] = {}
    step = rng.uniform(-0.02, 0.03)
    for offset, fy in enumerate(TARGET_YEARS):
        level = plan.level * (1 + step * offset)
        if plan.cumulative:
            level *= periods_per_year  # a year-to-date figure's target is the year's total
        if plan.format == "percentage":
            level = min(max(level, 1.0), 99.0)
        if plan.polarity == "range":
            low, high = level * 0.9, level * 1.1
            if plan.format == "percentage":
                low, high = max(low, 0.0), min(high, 100.0)
            targets[fy_label(fy)] = [_round(low, plan.decimals), _round(high, plan.decimals)]
        else:
            targets[fy_label(fy)] = _round(level, plan.decimals)
    return targets


def _measure(
    rng: random.Random,
    ref: str,
    people: dict[str, Any],
    priority_index: int,
) -> tuple[dict[str, Any], MeasurePlan]:
    interval = _interval(rng)
    fmt = rng.choices(("percentage", "number", "currency"), weights=(50, 40, 10))[0]
    polarity = rng.choices(("higher", "lower", "range"), weights=(55, 35, 10))[0]
    cumulative = fmt != "percentage" and polarity != "range" and rng.random() < 0.25
    monitoring_only = rng.random() < 0.10
    if fmt == "percentage":
        decimals, level = rng.choice((0, 1, 1, 1, 2)), rng.uniform(20, 95)
    elif fmt == "currency":
        decimals, level = rng.choice((0, 2, 2)), rng.uniform(10_000, 2_000_000)
    else:
        decimals, level = rng.choice((0, 0, 1, 2)), rng.uniform(5, 5_000)
    plan = MeasurePlan(ref, interval, fmt, decimals, polarity, cumulative, level)
    head = people["heads"][priority_index]
    manager = rng.choice(people["managers"][head["email"]])
    team = people["officers"][manager["email"]]
    collector, cover = rng.sample(team, 2)
    reviewer = manager if rng.random() < 0.8 else head
    subject = rng.choice(_SUBJECTS)
    per_year = len(periods_of_year(interval, 2025))
    spec: dict[str, Any] = {
        "ref": ref,
        "title": f"{subject.capitalize()} ({ref})",
        "definition": f"The {subject} in the {interval.kind.value}"
        + (", year to date" if cumulative else "")
        + (", as a percentage of the total" if fmt == "percentage" else ""),
        "interval": interval.value,
        "reporting_lag": rng.choice((5, 8, 10, 10, 15)),
        "format": fmt,
        "decimals": decimals,
        "polarity": polarity,
        "cumulative": cumulative,
        "monitoring_only": monitoring_only,
        "tolerance": rng.choice((5, 5, 5, 10)),
        "tolerance_abs": None,
        "committee": COMMITTEES[priority_index % len(COMMITTEES)],
        "confidence": rng.choice(("green", "green", "amber", "red")),
        "data_source": rng.choice(("Civica", "Uniform", "Northgate", "Spreadsheet")) + " report",
        "baseline": {"period": "2021-22", "value": _round(plan.level, decimals)},
        "collector": collector["email"],
        "cover": cover["email"],
        "reviewer": reviewer["email"],
        "head_of_service": head["email"],
    }
    if fmt == "number":
        spec["units"] = rng.choice(("cases", "days", "visits", "homes", "tonnes"))
    if not monitoring_only:
        spec["targets"] = _targets(rng, plan, per_year)
        if interval is Interval.QUARTERLY and polarity != "range" and rng.random() < 0.1:
            # A quarter-specific target beside the yearly ones (PRODUCT §3: any period label).
            spec["targets"]["2025-26 Q4"] = spec["targets"]["2025-26"]
    if polarity != "range" and fmt == "number" and rng.random() < 0.1:
        spec["tolerance_abs"] = _round(level * 0.05, decimals) or 1
    return spec, plan


def register_document(measures: int, seed: int) -> tuple[dict[str, Any], list[MeasurePlan]]:
    """The register as a YAML-ready document, and the plan of each measure for actuals."""
    rng = random.Random(seed)
    people = _people(rng, measures)
    aims_per_priority = max(1, min(8, measures // 40))
    plans: list[MeasurePlan] = []
    priorities: list[dict[str, Any]] = []
    per_priority = _spread(measures, len(PRIORITIES))
    for p_index, ((code, name, _), count) in enumerate(zip(PRIORITIES, per_priority, strict=True)):
        aims: list[dict[str, Any]] = []
        for a_index, in_aim in enumerate(_spread(count, aims_per_priority), start=1):
            aim_code = f"{code}{a_index}"
            aim_measures: list[dict[str, Any]] = []
            for m_index in range(1, in_aim + 1):
                spec, plan = _measure(rng, f"{aim_code}.{m_index}", people, p_index)
                aim_measures.append(spec)
                plans.append(plan)
            aims.append(
                {
                    "code": aim_code,
                    "title": f"{name}: aim {a_index}",
                    "measures": aim_measures,
                }
            )
        priorities.append({"code": code, "name": name, "aims": aims})
    document = {
        "council": "Example District Council (benchmark)",
        "calendar": {
            "region": "ENG",
            "closure_days": ["2025-12-29", "2025-12-30", "2025-12-31"],
            "performance_board_weeks": 3,
            "committee_dates": {
                "2025-26 Q4": ["2026-05-28", "2026-06-04", "2026-06-11"],
                "2026-27 Q1": ["2026-08-13", "2026-08-27", "2026-09-10"],
            },
        },
        "admins": [people["director"]["email"]],
        "people": people["everyone"],
        "channels": {
            "all": "#performance",
            "priorities": {code: channel for code, _, channel in PRIORITIES},
        },
        "priorities": priorities,
    }
    return document, plans


def actual_rows(plans: list[MeasurePlan], seed: int) -> list[tuple[str, str, str, str]]:
    """(ref, period, value, commentary) for every period of 2022-23 … 2025-26."""
    rng = random.Random(seed + 1)
    rows: list[tuple[str, str, str, str]] = []
    for plan in plans:
        for fy in HISTORY_YEARS:
            total = 0.0
            for period in periods_of_year(plan.interval, fy):
                value = plan.level * rng.uniform(0.85, 1.15)
                if plan.cumulative:
                    total += value
                    value = total
                if plan.format == "percentage":
                    value = min(max(value, 0.0), 100.0)
                text = f"{value:.{plan.decimals}f}"
                rows.append((plan.ref, period.label, text, rng.choice(_COMMENTS)))
    return rows


def generate(directory: Path, measures: int, seed: int = 2026) -> Generated:
    """Write `register-<measures>.yaml` and `actuals-<measures>.csv` into `directory`."""
    document, plans = register_document(measures, seed)
    register = directory / f"register-{measures}.yaml"
    dumper: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    with register.open("w", encoding="utf-8") as handle:
        handle.write("# Generated by bench/data.py: invented council, people and figures.\n")
        yaml.dump(
            document,
            handle,
            Dumper=dumper,
            sort_keys=False,
            allow_unicode=True,
            width=200,
            default_flow_style=None,
        )
    rows = actual_rows(plans, seed)
    actuals = directory / f"actuals-{measures}.csv"
    with actuals.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(("ref", "period", "value", "commentary"))
        writer.writerows(rows)
    intervals: dict[str, int] = {}
    for plan in plans:
        intervals[plan.interval.value] = intervals.get(plan.interval.value, 0) + 1
    return Generated(
        register=register,
        actuals=actuals,
        measures=measures,
        first_ref=plans[0].ref,
        actual_rows=len(rows),
        people=len(document["people"]),
        intervals=intervals,
    )

"""A real `pmf-bot run` (or any command) in a subprocess, its output read as it comes: the
tests that start the command as an officer would (`test_teams_run`, `test_replicas`)."""

from __future__ import annotations

import re
import subprocess
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, TypeVar


@dataclass
class Running:
    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    patience: ClassVar[float] = 60.0  # seconds wait_for waits, unless told

    @property
    def out(self) -> str:
        return "".join(self.lines)

    @property
    def pid(self) -> int:
        return self.process.pid

    def wait_for(self, pattern: re.Pattern[str], timeout: float | None = None) -> re.Match[str]:
        end = time.monotonic() + (self.patience if timeout is None else timeout)
        while time.monotonic() < end:
            found = pattern.search(self.out)
            if found:
                return found
            if self.process.poll() is not None:
                time.sleep(0.3)  # the reader thread may still be catching up
                found = pattern.search(self.out)
                if found:
                    return found
                raise AssertionError(f"pmf-bot run stopped:\n{self.out}")
            time.sleep(0.05)
        raise AssertionError(f"pmf-bot run did not say {pattern.pattern!r}:\n{self.out}")


R = TypeVar("R", bound=Running)


@contextmanager
def started(
    command: Sequence[str],
    *,
    cwd: Path | str,
    env: Mapping[str, str],
    kind: type[R],
    stop_within: float = 10.0,
) -> Iterator[R]:
    """Start `command`; on leaving, terminate it (then kill it) if it still runs."""
    process = subprocess.Popen(
        list(command),
        cwd=cwd,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    running = kind(process)

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            running.lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        yield running
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(stop_within)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(stop_within)
        reader.join(5)

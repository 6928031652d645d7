"""What one configuration key is, and how its values are read: the per-field metadata of
:class:`mlplab.config.RunConfig` (help, ``--help`` section, choices, range, the commands that read it),
the conversion of a flag's string or a TOML value to the key's type, and the TOML text of a config.

Kept apart from :mod:`mlplab.config` so that the rules for one value can be read (and tested) without
the whole configuration; this module knows nothing of ``RunConfig`` itself."""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mlplab.validation import check_number

# (low, high, low_open, high_open); None: unbounded on that side
Bounds = tuple[float | None, float | None, bool, bool]


@dataclass(frozen=True)
class Key:
    """One config key as ``--help``, a TOML file and a sweep see it: its default, type, help text, closed
    set of values (if any) and the :data:`mlplab.config.GROUPS` section it belongs to."""
    default: Any
    kind: type
    help: str
    choices: tuple[str, ...] | None = None
    group: str = ""


@dataclass(frozen=True)
class Setting:
    """The metadata of one :class:`~mlplab.config.RunConfig` field.

    ``choices`` is read from a registry each time it is asked (so a registry entry added later is a
    valid value at once); ``listed`` names the values of an open-ended key for ``--help`` (the dataset
    names beside a file's path); ``commands`` are the commands whose runs read the key."""
    help: str
    group: str
    kind: type
    choices: Callable[[], Iterable[str]] | None = None
    bounds: Bounds | None = None
    commands: tuple[str, ...] = ("train",)
    listed: Callable[[], list[str]] | None = None
    flag: bool = True                   # False: set by the command itself, never by a flag

    def valid(self) -> tuple[str, ...] | None:
        return tuple(self.choices()) if self.choices is not None else None


def setting(default: Any, help: str, group: str, *, kind: type | None = None, **more: Any) -> Any:
    """A dataclass field with its :class:`Setting`; the kind is the default's type unless given."""
    if kind is None:
        kind = list if isinstance(default, tuple) else type(default)
    return dataclasses.field(default=default, metadata={"setting": Setting(help, group, kind, **more)})


def coerce(name: str, kind: type, value: Any, choices: tuple[str, ...] | None = None) -> Any:
    """``value`` (a flag's string, a TOML or Python value) as key ``name``'s type, with a clear error;
    a list key comes back as a tuple (the config is frozen)."""
    if value is None:
        return None
    try:
        if kind is list:
            if isinstance(value, str):
                value = [part for part in value.replace(" ", "").split(",") if part]
            if isinstance(value, int) and not isinstance(value, bool):
                value = [value]
            if not isinstance(value, (list, tuple)):
                raise TypeError
            if any(isinstance(v, bool) or (isinstance(v, float) and not v.is_integer()) for v in value):
                raise TypeError
            value = tuple(int(v) for v in value)
        elif kind is bool:
            if isinstance(value, str):
                lowered = value.lower()
                if lowered not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError
                value = lowered in ("true", "1", "yes")
            elif not isinstance(value, bool):
                raise TypeError
        elif kind is int:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise TypeError
            value = int(value)
        elif kind is float:
            if isinstance(value, bool):
                raise TypeError
            value = float(value)
        else:
            value = str(value)
    except (TypeError, ValueError):
        raise ValueError(f"config key {name!r} must be {kind.__name__}, got {value!r}") from None
    if choices is not None and value not in choices:
        raise ValueError(f"config key {name!r}: unknown value {value!r}; valid: {', '.join(choices)}")
    return value


def check_toml_type(where: str, name: str, kind: type, value: Any) -> None:
    """TOML has types: a file's value must already be of the key's (``epochs = "ten"`` is refused)."""
    expected = {float: (int, float), list: (list, int), int: (int,), bool: (bool,), str: (str,)}[kind]
    if name == "label_column":                  # a header name or an index
        expected = (str, int)
    if not isinstance(value, expected) or (kind is not bool and isinstance(value, bool)):
        raise ValueError(f"config {where}: key {name!r} must be {kind.__name__}, got {type(value).__name__} {value!r}")


def check_bounds(name: str, value: Any, bounds: Bounds) -> None:
    low, high, low_open, high_open = bounds
    check_number(name, value, low=low, high=high, low_open=low_open, high_open=high_open)


def load_toml(path: str | Path) -> dict[str, Any]:
    """A TOML file's table; a missing file, a folder or bad TOML is one line naming the path."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise FileNotFoundError(f"config: no file at {str(path)!r}") from None
    except tomllib.TOMLDecodeError as err:
        raise ValueError(f"config {str(path)!r} is not valid TOML: {err}") from None
    except UnicodeDecodeError as err:
        raise ValueError(f"config {str(path)!r} is not valid TOML: not UTF-8 text ({err.reason} at byte "
                         f"{err.start})") from None
    except IsADirectoryError:
        raise ValueError(f"config {str(path)!r} is a folder, not a TOML file") from None


def dumps_toml(config: dict[str, Any], comments: list[str] | None = None) -> str:
    """The flat config as TOML (``None`` values are left out: TOML has no null), after ``comments``
    written as ``#`` lines (e.g. what ``init = "auto"`` resolved to)."""
    lines = [f"# {line}" for line in comments or []]
    for name, value in config.items():
        if value is None:
            continue
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, (int, float)):
            text = repr(value)
        elif isinstance(value, (list, tuple)):
            text = "[" + ", ".join(str(int(v)) for v in value) + "]"
        else:
            text = '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
        lines.append(f"{name} = {text}")
    return "\n".join(lines) + "\n"

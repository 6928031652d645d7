"""The shipped recipes: TOML configs for ``mlplab train --config NAME``, each opening with a
``# shows:`` comment that says what it demonstrates (``mlplab recipes`` lists them)."""

from __future__ import annotations

from pathlib import Path

FOLDER = Path(__file__).resolve().parent


def recipes() -> dict[str, Path]:
    """Recipe name -> its file, sorted by name."""
    return {path.stem: path for path in sorted(FOLDER.glob("*.toml"))}


def shows(path: Path) -> str:
    """The recipe's ``# shows:`` comment (its leading comment lines joined), or ''."""
    lines = []
    for line in path.read_text().splitlines():
        if not line.startswith("#"):
            break
        lines.append(line.lstrip("#").strip())
    text = " ".join(lines)
    return text.removeprefix("shows:").strip()


def find(name_or_path: str) -> Path:
    """A ``--config`` value: an existing file, else the shipped recipe of that name."""
    path = Path(name_or_path)
    if path.is_file() or path.suffix == ".toml" or "/" in name_or_path:
        return path
    found = recipes().get(name_or_path)
    if found is None:
        raise ValueError(f"config {name_or_path!r} is neither a file nor a shipped recipe; recipes: "
                         f"{', '.join(recipes())}")
    return found

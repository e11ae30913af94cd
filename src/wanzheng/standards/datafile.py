"""Reading the project's TOML data files (catalogue, rules, vocabularies, state machine …):
the packaged default or a file the user gives, with one set of error messages.

Every loader of a data file reads it here and then validates its own fields; the label this
returns is what its messages name the file by.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from wanzheng.errors import ConfigError

__all__ = ["load_toml"]


def load_toml(
    path: str | Path | None, *, package: str, name: str, what: str
) -> tuple[dict[str, Any], str]:
    """The TOML document of ``path`` (or of the packaged ``package/name`` when ``None``) and
    the label to name it by in messages (the path, or ``wanzheng:<subpackage>/<name>``).

    Parameters
    ----------
    path
        A TOML file (UTF-8), or ``None`` for the packaged default.
    package, name
        Where the default lives, e.g. ``"wanzheng.proactive"``, ``"rules_default.toml"``.
    what
        What the file holds, for messages (``"rule"`` -> "cannot read the rule file").

    Raises
    ------
    ConfigError
        The file is missing, unreadable, not UTF-8 or not valid TOML; the message names it.
    """
    if path is None:
        text = resources.files(package).joinpath(name).read_text(encoding="utf-8")
        label = f"{package.replace('.', ':', 1)}/{name}"
    else:
        label = str(path)
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError as exc:
            raise ConfigError(f"{label}: {what} file not found") from exc
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{label}: cannot read the {what} file ({exc})") from exc
    try:
        return tomllib.loads(text), label
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{label}: not valid TOML: {exc}") from exc

"""Staff-facing text (Simplified Chinese) from templates/messages.zh.yaml."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from congress.settings import REPO_ROOT

MESSAGES_FILE = REPO_ROOT / "templates" / "messages.zh.yaml"


# Areas may keep their messages in files of their own: templates/messages.d/<area>.zh.yaml.
MESSAGES_DIR = REPO_ROOT / "templates" / "messages.d"


@lru_cache(maxsize=4)
def _catalogue(path: Path = MESSAGES_FILE) -> dict[str, str]:
    files = [path, *sorted(MESSAGES_DIR.glob("*.zh.yaml"))] if path == MESSAGES_FILE else [path]
    catalogue: dict[str, str] = {}
    for file in files:
        with file.open(encoding="utf-8") as fh:
            data = yaml.safe_load(fh) or {}
        for k, v in data.items():
            if str(k) in catalogue:
                raise ValueError(f"message {k} defined twice ({file})")
            catalogue[str(k)] = str(v)
    return catalogue


def msg(name: str, /, **values: Any) -> str:
    """The message `key` with its placeholders filled."""
    return _catalogue()[name].format(**values)


def has(key: str) -> bool:
    return key in _catalogue()

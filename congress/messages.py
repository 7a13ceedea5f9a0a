"""Staff-facing text (Simplified Chinese) from templates/messages.zh.yaml."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from congress.settings import REPO_ROOT

MESSAGES_FILE = REPO_ROOT / "templates" / "messages.zh.yaml"


@lru_cache(maxsize=4)
def _catalogue(path: Path = MESSAGES_FILE) -> dict[str, str]:
    with path.open(encoding="utf-8") as fh:
        data = yaml.safe_load(fh)
    return {str(k): str(v) for k, v in data.items()}


def msg(name: str, /, **values: Any) -> str:
    """The message `key` with its placeholders filled."""
    return _catalogue()[name].format(**values)


def has(key: str) -> bool:
    return key in _catalogue()

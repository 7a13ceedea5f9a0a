"""Province profiles: rules as data with citations, loaded from config/profiles/*.yaml."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from congress.settings import REPO_ROOT

PROFILES_DIR = REPO_ROOT / "config" / "profiles"

_CITATION = re.compile(r"^(?P<file>[a-z0-9-]+\.md) (?P<article>第[一二三四五六七八九十百零]+条)$")

# Short Chinese names of the statutes, for messages staff read.
STATUTE_NAMES = {
    "local-organic-law-2022.md": "《地方组织法》",
    "deputies-law-2025.md": "《代表法》",
    "election-law-2020.md": "《选举法》",
    "civil-code-periods.md": "《民法典》",
    "zhejiang-township-congress-2016.md": "《浙江省乡镇人民代表大会工作条例》",
    "chongqing-township-congress-2016.md": "《重庆市乡镇人民代表大会工作条例》",
    "shandong-township-congress-2015.md": "《山东省乡镇人民代表大会工作若干规定》",
    "henan-township-presidium-2016.md": "《河南省乡镇人民代表大会主席团工作条例》",
}


@dataclass(frozen=True)
class Citation:
    file: str
    article: str

    @classmethod
    def parse(cls, text: str) -> Citation:
        match = _CITATION.match(text.strip())
        if not match:
            raise ValueError(f"citation {text!r} is not of the form 'file.md 第N条'")
        return cls(match["file"], match["article"])

    def __str__(self) -> str:
        return f"{self.file} {self.article}"

    @property
    def label(self) -> str:
        """The citation as staff read it: 《地方组织法》第十四条."""
        return f"{STATUTE_NAMES.get(self.file, self.file)}{self.article}"


@dataclass(frozen=True)
class RuleSpec:
    key: str
    title: str
    citation: Citation
    params: dict[str, Any]
    basis: str = "statute"  # statute | practice
    text: str = ""
    note: str = ""
    source_profile: str = ""

    def __getitem__(self, name: str) -> Any:
        return self.params[name]


@dataclass(frozen=True)
class Profile:
    name: str
    title: str
    rules: dict[str, RuleSpec] = field(default_factory=dict)

    def rule(self, key: str) -> RuleSpec:
        return self.rules[key]


_META = {"title", "citation", "basis", "text", "note"}


def _read(name: str, directory: Path) -> dict[str, Any]:
    path = directory / f"{name}.yaml"
    if not path.exists():
        raise KeyError(name)
    with path.open(encoding="utf-8") as fh:
        return yaml.safe_load(fh)


def available_profiles(directory: Path = PROFILES_DIR) -> list[str]:
    return sorted(p.stem for p in directory.glob("*.yaml"))


@lru_cache(maxsize=32)
def load_profile(name: str, directory: Path = PROFILES_DIR) -> Profile:
    """The named profile with its `extends` chain merged, rule by rule."""
    chain: list[dict[str, Any]] = []
    current: str | None = name
    while current:
        data = _read(current, directory)
        chain.append(data)
        current = data.get("extends")
    rules: dict[str, RuleSpec] = {}
    for data in reversed(chain):
        for key, raw in (data.get("rules") or {}).items():
            rules[key] = RuleSpec(
                key=key,
                title=raw["title"],
                citation=Citation.parse(raw["citation"]),
                params={k: v for k, v in raw.items() if k not in _META},
                basis=raw.get("basis", "statute"),
                text=raw.get("text", ""),
                note=raw.get("note", ""),
                source_profile=data["name"],
            )
    return Profile(name=chain[0]["name"], title=chain[0]["title"], rules=rules)

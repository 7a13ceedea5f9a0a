"""The sample's vote tallies (config/sample/tallies.yaml) as the dashboard's forms take them, so the web and
browser tests enter exactly what the sample file says, whatever votes the sample session has."""

from __future__ import annotations

import yaml

from congress.settings import REPO_ROOT

SAMPLE_TALLIES = REPO_ROOT / "config" / "sample" / "tallies.yaml"


def sample_votes() -> dict[str, tuple[int, int, int]]:
    """Each vote's (yes, no, abstain) from the sample tallies file."""
    data = yaml.safe_load(SAMPLE_TALLIES.read_text(encoding="utf-8"))
    # yes/no unquoted load as YAML 1.1 booleans (docs/formats.md)
    return {key: (t.get("yes", t.get(True)), t.get("no", t.get(False)), t["abstain"]) for key, t in data["votes"].items()}

"""Page-image regression: page 1 of each kind of document of the sample session, rendered to a small
grayscale image, is compared with the reviewed reference in tests/page-images/<kind>.png, so a change of
layout (a moved line, a wider column, a lost 版头) is seen, not only a change of words.

A pixel counts as changed when it differs from the reference by more than CHANGED_LEVEL gray levels
(anti-aliasing and hinting move edges by less); a page fails when more than MAX_CHANGED of its pixels
changed. After a deliberate change, look at the new pages (the failure names a folder holding them), then
make them the references:

    CONGRESS_UPDATE_PAGE_IMAGES=1 .venv/bin/pytest tests/test_page_images.py

and commit tests/page-images/ with the change. The references depend on the fonts installed by
scripts/system-packages.txt.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import pytest

from tests.png_gray import Gray, read_pgm, read_png, side_by_side, write_png
from tests.rendered_session import NO_POPPLER, NO_SOFFICE, SKIP_REASON, RenderedSession, rendered_session

REFERENCES = Path(__file__).parent / "page-images"
UPDATE = os.environ.get("CONGRESS_UPDATE_PAGE_IMAGES", "") not in ("", "0")
RESOLUTION = 30  # dots per inch: a 248 × 351 image of an A4 page, lines of text still apart
CHANGED_LEVEL = 64  # of 255
MAX_CHANGED = 0.003  # of the page's pixels
# Kinds whose page 1 shows when the run happened (the audit report's step times): not the same twice.
UNSTABLE_KINDS = {"audit_report"}

pytestmark = pytest.mark.skipif(NO_SOFFICE or NO_POPPLER, reason=SKIP_REASON)


@pytest.fixture(scope="module")
def session_files(tmp_path_factory: pytest.TempPathFactory) -> RenderedSession:
    return rendered_session(tmp_path_factory.mktemp("rendered-session"))


def first_of_each_kind(session: RenderedSession) -> dict[str, Path]:
    """Kind → its first .docx (in path order: the same one every run)."""
    chosen: dict[str, Path] = {}
    for rel, kind in sorted(session.kinds.items()):
        if kind not in UNSTABLE_KINDS:
            chosen.setdefault(kind, session.root / rel)
    return chosen


def render_page_one(pdf: Path) -> Gray:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "page"
        subprocess.run(["pdftoppm", "-gray", "-r", str(RESOLUTION), "-f", "1", "-l", "1", "-singlefile",
                        str(pdf), str(out)], check=True, capture_output=True)
        return read_pgm(out.with_suffix(".pgm"))


def changed_share(a: Gray, b: Gray) -> float:
    """The share of pixels that differ by more than CHANGED_LEVEL (1.0 when the sizes differ)."""
    if (a.width, a.height) != (b.width, b.height):
        return 1.0
    changed = sum(1 for x, y in zip(a.pixels, b.pixels, strict=True) if abs(x - y) > CHANGED_LEVEL)
    return changed / len(a.pixels)


def test_page_one_of_every_kind_looks_as_reviewed(session_files: RenderedSession,
                                                   tmp_path_factory: pytest.TempPathFactory) -> None:
    kinds = first_of_each_kind(session_files)
    assert len(kinds) >= 20, sorted(kinds)
    rendered = {kind: render_page_one(path.with_suffix(".pdf")) for kind, path in kinds.items()}
    if UPDATE:
        REFERENCES.mkdir(exist_ok=True)
        for kind, image in rendered.items():
            write_png(REFERENCES / f"{kind}.png", image)
        for stale in set(p.stem for p in REFERENCES.glob("*.png")) - set(rendered):
            (REFERENCES / f"{stale}.png").unlink()
        print(f"wrote {len(rendered)} reference images to {REFERENCES}")  # noqa: T201 (pytest -s shows it)
        return
    failures = {}
    review = tmp_path_factory.mktemp("page-images-now")
    for kind, image in sorted(rendered.items()):
        reference = REFERENCES / f"{kind}.png"
        if not reference.exists():
            failures[kind] = "no reference image"
        else:
            share = changed_share(image, read_png(reference))
            if share > MAX_CHANGED:
                failures[kind] = f"{share:.1%} of the page changed"
                write_png(review / f"{kind}-reference-then-now.png", side_by_side([read_png(reference), image]))
        write_png(review / f"{kind}.png", image)
    assert not failures, (f"{failures}; the pages as they are now (and reference beside now where they differ) "
                          f"are in {review}; if the change is meant, look at them and run "
                          "CONGRESS_UPDATE_PAGE_IMAGES=1 .venv/bin/pytest tests/test_page_images.py")
    stale = set(p.stem for p in REFERENCES.glob("*.png")) - set(rendered)
    assert not stale, f"reference images of kinds the session no longer makes: {sorted(stale)}"


def test_the_comparison_sees_a_moved_line_but_not_itself(session_files: RenderedSession) -> None:
    """The check can fail: the same page moved down by one line of text (10 px) differs; itself does not."""
    image = render_page_one(first_of_each_kind(session_files)["notice"].with_suffix(".pdf"))
    assert changed_share(image, image) == 0.0
    line = image.width * 10
    moved = Gray(image.width, image.height, b"\xff" * line + image.pixels[:-line])
    assert changed_share(image, moved) > MAX_CHANGED


def test_png_round_trip(tmp_path: Path) -> None:
    image = Gray(3, 2, bytes([0, 128, 255, 10, 20, 30]))
    write_png(tmp_path / "x.png", image)
    assert read_png(tmp_path / "x.png") == image

"""Speed figures of the documents, printed, not asserted: .docx build per document, and PDF rendering
per document in one LibreOffice batch against one LibreOffice start per file, measured within one run
so a noisy shared machine moves all figures together.

    python bench/bench_documents.py [--notices 60] [--batch 40] [--single 5]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # tests.doc_context holds the realistic sample context

from congress.documents.builder import build_document, markup_to_docx, render_text, template_environment  # noqa: E402
from congress.documents.pdf import convert_to_pdf, soffice_binary  # noqa: E402
from tests.doc_context import all_template_names, context_for  # noqa: E402

CREATED = datetime(2026, 12, 8, 1, 0, tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--notices", type=int, default=60, help="notices to build (one per deputy)")
    parser.add_argument("--batch", type=int, default=40, help="documents converted in one LibreOffice start")
    parser.add_argument("--single", type=int, default=5, help="documents converted one LibreOffice start each")
    args = parser.parse_args()

    env = template_environment()
    markup_to_docx("# 预热", title="t", author="a", created=CREATED)  # the styled base is built once
    with tempfile.TemporaryDirectory(prefix="bench-documents-") as tmp:
        out = Path(tmp)
        context = context_for("notice.md.j2")
        start = time.perf_counter()
        for i in range(args.notices):
            deputy = {**context["deputy"], "code": f"QS{i:03d}", "name": f"代表{i}"}
            build_document(env, "notice.md.j2", {**context, "deputy": deputy}, out / f"notice-{i:03d}.docx",
                           title="通知", author="主席团", created=CREATED)
        notice_ms = (time.perf_counter() - start) * 1000 / args.notices
        print(f"docx  notice (render + layout + write): {notice_ms:7.1f} ms per document ({args.notices} built)")

        names = all_template_names()
        render = layout = 0.0
        for name in names:
            t0 = time.perf_counter()
            text = render_text(env, name, context_for(name))
            t1 = time.perf_counter()
            markup_to_docx(text, title=name, author="主席团", created=CREATED)
            t2 = time.perf_counter()
            render, layout = render + t1 - t0, layout + t2 - t1
        print(f"docx  every template once: Jinja2 {render * 1000 / len(names):5.1f} ms + layout "
              f"{layout * 1000 / len(names):5.1f} ms per document ({len(names)} templates)")

        if soffice_binary() is None:
            print("pdf   skipped: LibreOffice (soffice) is not installed")
            return
        files = sorted(out.glob("notice-*.docx"))
        batch = files[: args.batch]
        start = time.perf_counter()
        _, starts = convert_to_pdf(batch)
        batch_s = time.perf_counter() - start
        single = files[: args.single]
        start = time.perf_counter()
        for f in single:
            convert_to_pdf([f])
        single_s = time.perf_counter() - start
        per_batch = batch_s * 1000 / len(batch)
        per_single = single_s * 1000 / len(single)
        print(f"pdf   batch, {len(batch)} documents in {starts} start(s): {per_batch:7.1f} ms per document")
        print(f"pdf   one start per document ({len(single)} documents):  {per_single:7.1f} ms per document")
        print(f"pdf   batching is {per_single / per_batch:4.1f}x faster per document")


if __name__ == "__main__":
    main()

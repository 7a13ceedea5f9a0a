"""The statute texts the profiles cite, kept in the repository under law/ (law/README.md: source, version).

Laws and regulations are outside copyright (著作权法 第五条), so the project carries the texts it cites:
the citation tests read them in any clone, `congress law show 地方组织法 第二十五条` prints an article,
and the dashboard shows the article a rule cites. A file is Markdown: `# title`, the adoption and
amendment history up to `<!-- INFO END -->`, chapter headings (`## 第一章 …`), and one paragraph per
article starting `第N条 ` (an article runs until the next article or chapter heading).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from congress.profiles import STATUTE_NAMES
from congress.settings import REPO_ROOT

LAW_DIR = REPO_ROOT / "law"

ARTICLE_HEAD = re.compile(r"^(第[一二三四五六七八九十百零]+条)[ \u3000]")
SECTION_HEAD = re.compile(r"^(#|第[一二三四五六七八九十百零]+[章节编][ \u3000]?)")
FILE_RE = re.compile(r"^[a-z0-9-]+\.md$")
INFO_END = "<!-- INFO END -->"

_DIGITS = "零一二三四五六七八九"


def chinese_number(n: int) -> str:
    """1 → 一, 25 → 二十五, 105 → 一百零五 (article numbers as statutes print them; 1–999)."""
    if not 0 < n < 1000:
        raise ValueError(n)
    hundreds, rest = divmod(n, 100)
    tens, ones = divmod(rest, 10)
    out = f"{_DIGITS[hundreds]}百" if hundreds else ""
    if tens:
        # 十五 on its own, but 一百一十五 after hundreds
        out += ("" if tens == 1 and not hundreds else _DIGITS[tens]) + "十"
    elif hundreds and ones:
        out += "零"  # 一百零五
    if ones:
        out += _DIGITS[ones]
    return out


def article_label(text: str) -> str | None:
    """An article as the statutes write it (第二十五条) from 第二十五条, 第25条, 二十五 or 25; None if not one."""
    value = text.strip().replace(" ", "")
    if re.fullmatch(r"第?[一二三四五六七八九十百零]+条?", value):
        core = value.removeprefix("第").removesuffix("条")
        return f"第{core}条"
    match = re.fullmatch(r"第?(\d{1,3})条?", value)
    if match and 0 < int(match[1]) < 1000:
        return f"第{chinese_number(int(match[1]))}条"
    return None


@dataclass(frozen=True)
class Statute:
    file: str
    title: str  # the full title, from the file's first heading
    short: str  # the name staff use: 地方组织法
    history: list[str]  # adoption and amendments, as the file lists them
    articles: dict[str, str]  # 第N条 → the article's text (its paragraphs joined by newlines)

    @property
    def version(self) -> str:
        """The last line of the history: the amendment (or adoption) this text is."""
        last = self.history[-1] if self.history else ""
        # the texts close the history's bracket on its last line: （1979年…通过 … 第六次修正）
        return last[:-1] if last.endswith("）") and last.count("）") > last.count("（") else last


def short_name(file: str) -> str:
    """地方组织法 for local-organic-law-2022.md (profiles.STATUTE_NAMES without the 《》)."""
    return STATUTE_NAMES.get(file, file).strip("《》")


def statute_files(directory: Path = LAW_DIR) -> list[str]:
    return sorted(p.name for p in directory.glob("*.md") if FILE_RE.match(p.name))


@lru_cache(maxsize=32)
def load_statute(file: str, directory: Path = LAW_DIR) -> Statute:
    """A statute file parsed into its title, history and articles; KeyError if there is no such file."""
    if not FILE_RE.match(file) or not (directory / file).is_file():
        raise KeyError(file)
    lines = (directory / file).read_text(encoding="utf-8").splitlines()
    title = next((line[2:].strip() for line in lines if line.startswith("# ")), file)
    history: list[str] = []
    if INFO_END in lines:
        for line in lines[: lines.index(INFO_END)]:
            text = line.strip()
            if text and not text.startswith(("#", "<!--")) and re.match(r"^\d{4}年", text):
                history.append(text)
            elif text and history and not text.startswith(("#", "<!--")):
                history[-1] += text  # an amendment's title broken over lines
    articles: dict[str, list[str]] = {}
    current: str | None = None
    for line in lines:
        head = ARTICLE_HEAD.match(line)
        if head:
            current = head.group(1)
            articles.setdefault(current, [])
        elif SECTION_HEAD.match(line):
            current = None
        if current is not None and line.strip():
            articles[current].append(line.strip())
    return Statute(file=file, title=title, short=short_name(file), history=history,
                   articles={k: "\n".join(v) for k, v in articles.items()})


def find_statute(name: str, directory: Path = LAW_DIR) -> Statute | None:
    """The statute a person names: its file name, its short name (地方组织法, 《地方组织法》) or its title."""
    wanted = name.strip().strip("《》")
    files = statute_files(directory)
    for file in files:
        if wanted in (file, file.removesuffix(".md"), short_name(file)):
            return load_statute(file, directory)
    for file in files:
        statute = load_statute(file, directory)
        if wanted == statute.title or (len(wanted) >= 4 and wanted in statute.title):
            return statute
    return None


def article_text(file: str, article: str, directory: Path = LAW_DIR) -> str | None:
    """The text of an article (`第二十五条`) of a statute file, or None when the file or article is not there."""
    try:
        return load_statute(file, directory).articles.get(article)
    except KeyError:
        return None

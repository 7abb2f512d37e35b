"""The store's customer-facing help center, read from the pack's ``store/help_center/*.md``.

Each article has YAML front matter (``id``, ``title``, ``category``) and a Markdown body of
paragraphs, bullet lists and tables. It is cut into *units*, the smallest pieces that can be said
to a customer on their own: a sentence of a paragraph, a bullet, or a table row written out as a
sentence ("Gold: yearly spend $1,500+; member discount 15%; ..."). A unit keeps the bold heading
or lead-in it sits under as context for retrieval (never said twice in a reply).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from warmline.packs import PackError

HELP_CENTER_DIR = "store/help_center"
BOLD = re.compile(r"\*\*(.+?)\*\*")
LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
# Split after ., ? or ! followed by a space and a capital, digit or quote; not after "e.g." or
# "a.m."/"p.m." ("by 1 p.m. ET on a business day").
SENTENCE_END = re.compile(r"(?<!\be\.g\.)(?<!\bi\.e\.)(?<![ap]\.m\.)(?<=[.?!])\s+(?=[A-Z0-9\"“(])")
# A size table's row is found by the size's name too ("chest size for a medium?" is row M).
SIZE_NAMES = {
    "XS": "extra small",
    "S": "small",
    "M": "medium",
    "L": "large",
    "XL": "extra large",
    "XXL": "double extra large",
}
HEADING = re.compile(r"^\s*(?:#+\s*(.+)|\*\*([^*]+)\*\*:?)\s*$")


@dataclass(frozen=True)
class Unit:
    """One answerable piece of an article, in the article's order (``position``)."""

    article_id: str
    position: int
    text: str  # as the customer reads it (Markdown removed)
    context: str  # the heading or lead-in it sits under ("" when none)


@dataclass(frozen=True)
class HelpArticle:
    id: str
    title: str
    category: str
    body: str
    units: tuple[Unit, ...]


def plain(text: str) -> str:
    text = LINK.sub(r"\1", BOLD.sub(r"\1", text))
    return re.sub(r"\s+", " ", text.replace("`", "")).strip()


def parse_article(source: str, name: str) -> HelpArticle:
    if not source.startswith("---"):
        raise PackError(f"{name}: a help-center article starts with front matter (---)")
    try:
        _, front, body = source.split("---", 2)
    except ValueError:
        raise PackError(f"{name}: the front matter is not closed by ---") from None
    # "key: value" lines; a title may itself contain ": " (not strict YAML).
    meta = dict(line.split(":", 1) for line in front.strip().splitlines() if ":" in line)
    meta = {k.strip(): v.strip() for k, v in meta.items()}
    for key in ("id", "title"):
        if not meta.get(key):
            raise PackError(f"{name}: front matter needs {key!r}")
    article_id = str(meta["id"])
    return HelpArticle(
        id=article_id,
        title=str(meta["title"]),
        category=str(meta.get("category", "")),
        body=body.strip(),
        units=tuple(_units(article_id, body)),
    )


def _units(article_id: str, body: str) -> list[Unit]:
    units: list[Unit] = []
    heading = ""  # the last bold heading line: the topic until the next one
    lead = ""  # the last sentence that ends with ":" ("You can:"): what its bullets complete
    header: list[str] | None = None
    opening = ""  # the paragraph just before a table with no heading: what its rows are ("Codes running in ...")

    def add(text: str, unit_context: str) -> None:
        text = plain(text)
        if len(text.split()) >= 2:
            units.append(Unit(article_id, len(units), text, unit_context))

    for raw in body.splitlines():
        line = raw.strip()
        if not line:
            header = None
            continue
        title = HEADING.match(line)
        if title:
            heading, lead, header = plain(title.group(1) or title.group(2)).rstrip(":"), "", None
            continue
        if line.startswith("|"):
            cells = [plain(c) for c in line.strip("|").split("|")]
            if all(re.fullmatch(r":?-+:?", c) for c in cells if c):
                continue
            if header is None:
                header = cells
                continue
            context = lead or heading or opening
            spoken = SIZE_NAMES.get(cells[0].upper())
            add(_table_row(header, cells), f"{context} {spoken}".strip() if spoken else context)
            continue
        header = None
        if line.startswith(("- ", "* ")) or re.match(r"^\d+\.\s", line):
            item = plain(re.sub(r"^(?:[-*]|\d+\.)\s+", "", line))
            item = re.sub(r"(?:[,;]?\s+(?:or|and)|[,;])$", "", item)
            if item[:1].islower() and lead:
                item = f"{lead} {item}"  # "You can:" + "refuse the delivery" reads on its own
            elif item[:1].islower() and heading:
                item = f"{heading}: {item}"  # "Checking your balance: at acmebrands.com/giftcard, ..."
            add(item if item.endswith((".", "?", "!")) else item + ".", lead or heading)
            continue
        opening = _sentences(_lead_in(line))[0].rstrip(".:") if not heading and not lead else ""
        for index, sentence in enumerate(_joined_questions(_sentences(_lead_in(line)))):
            if sentence.endswith(":"):
                lead = sentence
                if index == 0 and len(_sentences(line)) == 1 and len(sentence.split()) <= 3:
                    continue  # "You can:" alone says nothing; its bullets carry it
            add(sentence, heading)
        if not line.endswith(":"):
            lead = ""
    return units


def _lead_in(line: str) -> str:
    """ "**Exception:** monogrammed items ..." -> "Exception: monogrammed items ..."; "**Member
    discounts** are applied ..." stays a sentence; "**Already shipped?** It can't" keeps its "?"."""
    match = re.match(r"^\*\*([^*]+?)\*\*(:?)\s+(.*)$", line)
    if not match:
        return line
    topic, colon, rest = match.groups()
    if topic.endswith((":", "?", "!", ".")) or not colon:
        return f"{topic} {rest}"
    return f"{topic}: {rest}"


def _joined_questions(sentences: list[str]) -> list[str]:
    """ "Already shipped?" + "It can't be cancelled anymore." are one answer."""
    out: list[str] = []
    for sentence in sentences:
        if out and out[-1].endswith("?") and len(out[-1].split()) <= 6:
            out[-1] = f"{out[-1]} {sentence}"
        else:
            out.append(sentence)
    return out


def _sentences(text: str) -> list[str]:
    return [s for s in SENTENCE_END.split(plain(text)) if s.strip()]


def _table_row(header: list[str], cells: list[str]) -> str:
    first, rest = cells[0], cells[1:]
    parts = []
    for name, value in zip(header[1:], rest, strict=False):
        if not re.search(r"\b[ap]\.m\.$", value):  # "10 p.m." keeps its abbreviation's dot
            value = value.rstrip(".")
        if value and value.lower() not in ("none", "-", "—"):
            label = name if sum(c.isupper() for c in name) > 1 else name.lower()
            # A value that reads on its own ("Runs half a size large: ...", "5-10 business days")
            # goes without its column's name ("Processing: what it means We have ...").
            alone = re.match(r"[A-Z0-9]", value) is not None and len(value.split()) >= 3
            parts.append(f"{label} {value}" if name and not alone else value)
    text = f"{first}: " + "; ".join(parts)
    return text if text.endswith(".") else text + "."


def load_help_center(pack_path: Path) -> tuple[HelpArticle, ...]:
    """Every article of the pack's help center, sorted by id; an empty tuple if it has none."""
    folder = pack_path / HELP_CENTER_DIR
    if not folder.is_dir():
        return ()
    articles = [parse_article(p.read_text(encoding="utf-8"), str(p)) for p in sorted(folder.glob("*.md"))]
    if len({a.id for a in articles}) != len(articles):
        raise PackError(f"{folder}: help-center article ids must be unique")
    return tuple(articles)

"""Write the demo pack's generated training utterances: ``python -m warmline.packs.demo.training.generate``.

Reads the hand-written phrasings (``phrasings_<lang>*.yaml``: English with {slots}, and Spanish,
French, German, Portuguese, Italian, Dutch and Polish) and writes ``../generated.jsonl`` with one
``{"text", "intent", "source"}`` per line. English phrasings get their slots filled with the store's
products, colours, sizes, codes and dates, and are wrapped in the registers customers write in
(greetings, a name or an order number given on the way, politeness, annoyance, chat shorthand);
every language also gets lower-cased, accent-less and misspelt variants. A fixed seed makes the
output identical on every run, so ``warmline model build`` rebuilds the same classifier.
"""

from __future__ import annotations

import json
import random
import re
import sys
import unicodedata
from pathlib import Path

import yaml

HERE = Path(__file__).parent
OUTPUT = HERE.parent / "generated.jsonl"
LANGUAGES = ("en", "es", "fr", "de", "pt", "it", "nl", "pl")
SEED = 14
ENGLISH_VARIANTS = 4  # filled and wrapped versions of each English phrasing
TYPO_SHARE = 0.25

SLOTS: dict[str, tuple[str, ...]] = {
    "item": ("shirt", "jacket", "jeans", "boots", "sweater", "dress", "pair of jeans", "coat", "hoodie", "blouse"),
    "brand": ("Tommy Hilfiger", "Calvin Klein", "Michael Kors", "Guess", "Banana Republic", "cedar", "calvin klein"),
    "colour": ("red", "black", "blue", "navy", "white", "grey", "green", "beige", "pink", "brown"),
    "size": ("small", "medium", "large", "XL", "size 8", "size 32", "M", "extra small"),
    "shoesize": ("9", "10", "7.5", "11", "40", "8 wide"),
    "code": ("SAVE20", "SPRING15", "WELCOME10", "FREESHIP", "TAKE25", "ACME30", "GIFT50", "VIP2026"),
    "when": ("3 days ago", "last week", "yesterday", "two weeks ago", "on Monday", "a month ago", "last Friday"),
    "amount": ("$20", "$49.99", "15 dollars", "$7.50", "$120", "30 bucks", "$12.99"),
    "store": ("Target", "Walmart", "Macy's", "Nordstrom", "Kohl's", "another store", "the mall", "Zara"),
    "weekday": ("Monday", "Friday", "the weekend", "Saturday", "Thursday", "tomorrow"),
    "country": ("Canada", "Mexico", "the UK", "Germany", "France", "Japan", "Brazil"),
}
NAMES = (
    "Joseph Banter",
    "Crystal Minh",
    "alessandro phoenix",
    "Sanya Afzal",
    "david williams",
    "Chloe Zhang",
    "Rodriguez, Maria",
)
ORDERS = ("3358104972", "8213930542", "#AB44102", "order 5521773301")
MEMBERS = ("gold", "silver", "bronze", "guest", "premium")

# {x}: the phrasing. Registers from terse chat to formal mail; some add an unrelated detail on the way.
WRAPPERS = (
    "{x}",
    "{x}",
    "{x}",
    "hi, {x}",
    "hello. {x}",
    "hey {x}",
    "Hi there! {x}.",
    "good morning, {x}",
    "Good afternoon. {x}, could you help me please?",
    "{x}, can you help?",
    "{x}. what can I do?",
    "so {x}",
    "um hi so basically {x}",
    "I was wondering if you could help me, {x}",
    "{x} pls help",
    "ugh, {x}!!",
    "hello I need some help. {x}",
    "yes hi, {x}",
    "Hi, my name is {name}. {x}",
    "{x}. My order number is {order}",
    "I'm a {member} member and {x}",
    "{x} and honestly I'm pretty annoyed",
    "Quick question: {x}?",
    "hey, {x} lol",
    "Hello, I hope you can assist. {x}. Thank you.",
    "this is {name}, {x}",
    "I've been a customer for years and {x}",
    "{x}... any ideas?",
)
GREETINGS: dict[str, tuple[str, ...]] = {
    "es": ("hola, {x}", "buenos días, {x}", "{x}, ¿me ayudan?"),
    "fr": ("bonjour, {x}", "salut, {x}", "{x}, vous pouvez m'aider ?"),
    "de": ("hallo, {x}", "guten Tag, {x}", "{x}, können Sie helfen?"),
    "pt": ("olá, {x}", "bom dia, {x}", "{x}, podem me ajudar?"),
    "it": ("ciao, {x}", "buongiorno, {x}", "{x}, potete aiutarmi?"),
    "nl": ("hallo, {x}", "goedemiddag, {x}", "{x}, kunnen jullie helpen?"),
    "pl": ("dzień dobry, {x}", "cześć, {x}", "{x}, możecie pomóc?"),
}
KEYBOARD_NEIGHBOURS = {
    "a": "sq",
    "e": "wr",
    "i": "uo",
    "o": "ip",
    "n": "bm",
    "r": "et",
    "s": "ad",
    "t": "ry",
    "d": "sf",
    "m": "n",
    "c": "xv",
    "u": "yi",
}
_SLOT = re.compile(r"\{(\w+)\}")


def load_phrasings(language: str) -> dict[str, list[str]]:
    """Every ``phrasings_<language>*.yaml`` file, merged per label in file-name order."""
    merged: dict[str, list[str]] = {}
    for path in sorted(HERE.glob(f"phrasings_{language}*.yaml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for label, phrasings in data.items():
            merged.setdefault(label, []).extend(str(p) for p in phrasings)
    return merged


def fill(template: str, rng: random.Random) -> str:
    return _SLOT.sub(lambda m: rng.choice(SLOTS[m.group(1)]), template)


def wrap(phrase: str, rng: random.Random) -> str:
    wrapper = rng.choice(WRAPPERS)
    text = wrapper.format(x=phrase, name=rng.choice(NAMES), order=rng.choice(ORDERS), member=rng.choice(MEMBERS))
    return text[0].upper() + text[1:] if rng.random() < 0.5 else text


def misspell(text: str, rng: random.Random) -> str:
    """One or two typing slips: a dropped, doubled, swapped or neighbouring letter."""
    words = text.split(" ")
    candidates = [i for i, w in enumerate(words) if len(w) >= 4 and w.isalpha()]
    for index in rng.sample(candidates, min(len(candidates), rng.choice((1, 1, 2)))):
        word = words[index]
        at = rng.randrange(1, len(word) - 1)
        kind = rng.choice(("drop", "double", "swap", "neighbour"))
        if kind == "drop":
            word = word[:at] + word[at + 1 :]
        elif kind == "double":
            word = word[:at] + word[at] + word[at:]
        elif kind == "swap":
            word = word[: at - 1] + word[at] + word[at - 1] + word[at + 1 :]
        elif word[at].lower() in KEYBOARD_NEIGHBOURS:
            word = word[:at] + rng.choice(KEYBOARD_NEIGHBOURS[word[at].lower()]) + word[at + 1 :]
        words[index] = word
    return " ".join(words)


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).replace("ł", "l")


def english_rows(rng: random.Random) -> list[tuple[str, str, str]]:
    """(text, label, group): the variants of one phrasing share its group."""
    rows = []
    for label, phrasings in load_phrasings("en").items():
        for number, template in enumerate(phrasings):
            group = f"en:{label}:{number}"
            for _ in range(ENGLISH_VARIANTS):
                text = wrap(fill(template, rng), rng)
                if rng.random() < TYPO_SHARE:
                    text = misspell(text, rng)
                if rng.random() < 0.3:
                    text = text.lower().rstrip(".?!")
                rows.append((text, label, group))
    return rows


def other_language_rows(language: str, rng: random.Random) -> list[tuple[str, str, str]]:
    rows = []
    for label, phrasings in load_phrasings(language).items():
        for number, phrase in enumerate(phrasings):
            group = f"{language}:{label}:{number}"
            rows.append((phrase, label, group))
            rows.append((rng.choice(GREETINGS[language]).format(x=phrase), label, group))
            variant = strip_accents(phrase) if rng.random() < 0.5 else misspell(phrase, rng)
            rows.append((variant.rstrip("?!. "), label, group))
    return rows


def non_intent_rows() -> list[tuple[str, str, str]]:
    """(text, label, language) for small talk, vague openings and out-of-scope requests."""
    data = yaml.safe_load((HERE / "non_intents.yaml").read_text(encoding="utf-8")) or {}
    return [
        (str(text), label, language)
        for label, by_language in data.items()
        for language, texts in by_language.items()
        for text in texts
    ]


def generate() -> list[dict[str, str]]:
    rng = random.Random(SEED)
    out: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for language in LANGUAGES:
        rows = english_rows(rng) if language == "en" else other_language_rows(language, rng)
        rows += [
            (text, label, f"{language}:{label}:n{number}")
            for number, (text, label, lang) in enumerate(non_intent_rows())
            if lang == language
        ]
        for text, label, group in rows:
            key = (text.lower(), label)
            if key not in seen:
                seen.add(key)
                out.append({"text": text, "intent": label, "source": f"warmline/training:{language}", "group": group})
    return out


def write(path: Path = OUTPUT) -> int:
    rows = generate()
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    return len(rows)


if __name__ == "__main__":
    target = Path(sys.argv[1]) if len(sys.argv) > 1 else OUTPUT
    print(f"{write(target)} utterances -> {target}")

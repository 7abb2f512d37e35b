"""Training examples for the escalation signals, composed from templates in eight languages.

``lang/<code>.yaml`` holds, per language, slot fillers and templates for six kinds of customer
message: ``human_request`` and its hard negatives ``not_human_request``, ``frustrated`` and
``not_frustrated``, ``out_of_scope`` and ``in_scope``. A template picks alternatives with
``{a|b|c}`` and fillers with ``<slot>`` (language slots first, then the shared ones below);
``<slot_caps>`` is a filler in capitals, ``<caps_rant>`` a store request shouted, ``<spaced>``
a short phrase typed with spaces between the letters. Each template is expanded a few times with
a seeded generator, and a share of the results gets the noise of real chat: typos, no capitals,
no punctuation, chat abbreviations.

``generate()`` is deterministic for a seed, so the model build is reproducible. Conversations for
the conversation-level frustration stage are composed from the same rows by ``conversations()``.
"""

from __future__ import annotations

import random
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import yaml

LANG_DIR = Path(__file__).parent / "lang"
KINDS = ("human_request", "not_human_request", "frustrated", "not_frustrated", "out_of_scope", "in_scope")
SHARED_SLOTS: dict[str, list[str]] = {
    "order": ["AB40021", "AB55812", "#AB12093", "AB-77310", "order 88412", "AB90014", "ab31337", "#4471202"],
    "name": ["Joseph Banter", "Maria Lopez", "Chen Wu", "Anna Kowalska", "Sam", "Fatima Ali", "Luca Rossi"],
    "phone": ["555-0134", "(212) 555-0199", "+44 7700 900123", "+49 151 2345678", "06 12 34 56 78"],
    "email": ["maria.lopez@example.com", "jb1987@example.org", "kasia@example.pl", "luca.r@example.it"],
    "n": ["3", "4", "5", "10", "three", "two"],
    "days": ["3", "5", "10", "14", "20", "two", "ten"],
}
_ALTERNATIVES = re.compile(r"\{([^{}]*)\}")
_SLOT = re.compile(r"<([a-z_]+)>")
# Expansions per template: enough variety without letting one template dominate a signal. Other
# languages' off-topic templates get more: the sentence encoder does not know those languages, so
# the character n-grams have to learn off-topic vocabulary from the expansions alone.
PER_TEMPLATE = 14
PER_TEMPLATE_OTHER_LANGUAGE_OUT_OF_SCOPE = 28


@dataclass(frozen=True)
class Example:
    text: str
    kind: str
    lang: str
    source: str


def load_languages() -> dict[str, dict]:
    return {path.stem: yaml.safe_load(path.read_text(encoding="utf-8")) for path in sorted(LANG_DIR.glob("*.yaml"))}


def expand(template: str, slots: dict[str, list[str]], rng: random.Random, depth: int = 0) -> str:
    """One random expansion of ``template`` (fillers may hold templates themselves)."""
    if depth > 4:
        return template

    def slot(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "caps_rant":
            text = expand("<store_topic>", slots, rng, depth + 1).upper()
            return text + rng.choice(["!!!", "!!", "??", "!?", "", " NOW", "!!!!!"])
        if name == "spaced":
            phrase = rng.choice(slots.get("spaced_phrases") or ["where is my order"])
            spaced = " ".join(phrase)  # "w h e r e   i s ..."
            return spaced.upper() if rng.random() < 0.5 else spaced
        caps = name.endswith("_caps")
        key = name[:-5] if caps else name
        choices = slots.get(key) or SHARED_SLOTS.get(key)
        if not choices:
            raise KeyError(f"unknown slot <{key}> in template {template!r}")
        value = expand(rng.choice(choices), slots, rng, depth + 1)
        return value.upper() if caps else value

    text = template
    while True:
        replaced = _ALTERNATIVES.sub(lambda m: rng.choice(m.group(1).split("|")), text, count=1)
        if replaced == text:
            break
        text = replaced
    text = _SLOT.sub(slot, text)
    return re.sub(r"\s+", " ", text).strip()


_CHAT_WORDS = [
    (r"\byou\b", "u"),
    (r"\bplease\b", "pls"),
    (r"\bpeople\b", "ppl"),
    (r"\bsomeone\b", "some1"),
    (r"\bto\b", "2"),
    (r"\bare\b", "r"),
    (r"\bthanks\b", "thx"),
    (r"\bbecause\b", "cuz"),
    (r"\bpor favor\b", "porfa"),
    (r"\bs'il vous plaît\b", "svp"),
    (r"\bbitte\b", "bitte"),
]


def _strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _typo(word: str, rng: random.Random) -> str:
    if len(word) < 4 or not word.isalpha():
        return word
    i = rng.randrange(1, len(word) - 1)
    operation = rng.randrange(4)
    if operation == 0:  # swap two letters
        return word[: i - 1] + word[i] + word[i - 1] + word[i + 1 :]
    if operation == 1:  # drop a letter
        return word[:i] + word[i + 1 :]
    if operation == 2:  # double a letter
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice("aeiourstnm") + word[i + 1 :]  # a wrong letter


def add_noise(text: str, rng: random.Random) -> str:
    """Chat-style noise: typos in one or two words, lower case, no final punctuation, no accents."""
    words = text.split(" ")
    for _ in range(rng.choice([1, 1, 2])):
        index = rng.randrange(len(words))
        words[index] = _typo(words[index], rng)
    text = " ".join(words)
    roll = rng.random()
    if roll < 0.5:
        text = text.lower()
    if rng.random() < 0.4:
        text = text.rstrip(".!?")
    if rng.random() < 0.25:
        text = _strip_accents(text)
    if rng.random() < 0.3:
        for pattern, short in _CHAT_WORDS:
            text = re.sub(pattern, short, text)
    return text


def generate(seed: int = 13, noise_share: float = 0.3) -> list[Example]:
    """Every language's templates, expanded; duplicates removed; the same list for the same seed."""
    rng = random.Random(seed)
    seen: set[tuple[str, str]] = set()
    examples: list[Example] = []
    for lang, spec in load_languages().items():
        slots = spec.get("slots", {})
        for kind in KINDS:
            for number, template in enumerate(spec.get(kind) or []):
                wider = lang != "en" and kind == "out_of_scope"
                for _ in range(PER_TEMPLATE_OTHER_LANGUAGE_OUT_OF_SCOPE if wider else PER_TEMPLATE):
                    text = expand(template, slots, rng)
                    if rng.random() < noise_share:
                        text = add_noise(text, rng)
                    key = (text.lower(), kind)
                    if text and key not in seen:
                        seen.add(key)
                        examples.append(Example(text, kind, lang, f"generated/{lang}:{kind}:{number}"))
    return examples + long_messages(examples, seed)


# ---- long messages --------------------------------------------------------------------------------

# What a long message is labelled by its deciding sentence; the other sentences are store context.
LONG_KINDS = ("human_request", "frustrated", "not_human_request", "out_of_scope", "not_frustrated")
LONG_PER_LANGUAGE = 60


def long_messages(examples: list[Example], seed: int = 13) -> list[Example]:
    """Requests, frustration and look-alikes embedded in a longer message about an order: one or
    two sentences of store context before (or after) the sentence that decides the label."""
    rng = random.Random(seed + 1)
    by_kind: dict[tuple[str, str], list[Example]] = {}
    for example in examples:
        by_kind.setdefault((example.lang, example.kind), []).append(example)
    out = []
    for lang in sorted({e.lang for e in examples}):
        context = [e.text for e in by_kind.get((lang, "in_scope"), []) + by_kind.get((lang, "not_frustrated"), [])]
        context = [t for t in context if len(t.split()) >= 4]
        if not context:
            continue
        for kind in LONG_KINDS:
            pool = by_kind.get((lang, kind), [])
            for _ in range(LONG_PER_LANGUAGE if pool else 0):
                core = rng.choice(pool).text
                before = [rng.choice(context) for _ in range(rng.choice([1, 1, 2]))]
                parts = [*before, core] if kind == "out_of_scope" or rng.random() < 0.75 else [core, *before]
                text = " ".join(_sentence(p) for p in parts)
                # An out-of-scope question after store context is still off-topic only when asked
                # as an aside; keep those few and label the rest by the store context.
                if kind == "out_of_scope":
                    aside = rng.choice(_ASIDES.get(lang, ["By the way,"]))
                    text = " ".join(_sentence(p) for p in before) + f" {aside} {core}"
                out.append(Example(text, kind, lang, f"generated/{lang}:long:{kind}"))
    return out


def _sentence(text: str) -> str:
    text = text.strip()
    if not text:
        return text
    return text[0].upper() + text[1:] + ("" if text[-1] in ".!?" else ".")


_ASIDES = {
    "en": ["Unrelated, but", "Also, totally different question:", "Off topic:", "Random question:"],
    "es": ["Otra cosa que no tiene nada que ver:", "Por cierto, otra pregunta:"],
    "fr": ["Rien à voir, mais", "Autre question :"],
    "de": ["Ganz andere Frage:", "Übrigens, etwas anderes:"],
    "pt": ["Outra coisa, nada a ver:", "Aliás, outra pergunta:"],
    "it": ["Domanda a parte:", "Cambiando argomento,"],
    "nl": ["Iets heel anders:", "Andere vraag:"],
    "pl": ["Zupełnie inne pytanie:", "Przy okazji, inna sprawa:"],
}


# ---- conversations for the frustration stage ------------------------------------------------------


@dataclass(frozen=True)
class Conversation:
    turns: tuple[str, ...]
    frustrated: bool  # the customer is frustrated at the last turn
    lang: str


def _restate(text: str, rng: random.Random) -> str:
    """The same request again, as an impatient customer types it."""
    options = [
        text,
        text + rng.choice(["??", "!!", "?!", " ???", "!!!"]),
        text.upper(),
        rng.choice(["again: ", "AGAIN: ", "once more: ", "I said ", "as I said, ", "hello?? "]) + text,
    ]
    return rng.choice(options)


def _details(rng: random.Random) -> str:
    """Identifying details as a customer types them before repeating what they want."""
    name, email, order = (rng.choice(SHARED_SLOTS[k]) for k in ("name", "email", "order"))
    return rng.choice([f"{name}, {email}.", f"{name}, {order}.", f"{order}, {email}.", f"{name}."])


def conversations(examples: list[Example], seed: int = 13, count: int = 6000) -> Iterator[Conversation]:
    """Two- to four-turn conversations whose last turn is or is not frustrated, with the build-ups
    a single message cannot show: the same request restated, or a calm turn after an angry one."""
    rng = random.Random(seed)
    by_kind: dict[tuple[str, str], list[str]] = {}
    for example in examples:
        by_kind.setdefault((example.lang, example.kind), []).append(example.text)
    langs = sorted({lang for lang, _ in by_kind})
    for _ in range(count):
        lang = rng.choice(langs)
        calm = by_kind.get((lang, "in_scope"), []) + by_kind.get((lang, "not_frustrated"), [])
        angry = by_kind.get((lang, "frustrated"), [])
        if not calm or not angry:
            continue
        opening = [rng.choice(calm) for _ in range(rng.choice([1, 1, 2]))]
        shape = rng.random()
        if shape < 0.3:  # restating the same request
            yield Conversation((*opening, _restate(opening[-1], rng)), True, lang)
        elif shape < 0.5:  # an angry turn after calm ones
            yield Conversation((*opening, rng.choice(angry)), True, lang)
        elif shape < 0.6:  # anger that carries on into a short follow-up
            yield Conversation((*opening, rng.choice(angry), rng.choice(calm[:50] or calm)), True, lang)
        elif shape < 0.7:  # the same request again, with the details the bot asked for: not anger
            yield Conversation((*opening, f"{_details(rng)} {_sentence(opening[-1])}"), False, lang)
        else:  # calm all along: new questions, facts, thanks
            yield Conversation((*opening, rng.choice(calm)), False, lang)

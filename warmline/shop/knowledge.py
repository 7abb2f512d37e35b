"""Answers from the help center: retrieval over its units, then the sentences that answer.

Retrieval scores every unit two ways and adds them: lexically (BM25 over the unit with its
article's title and heading, and over the whole article) and by meaning (cosine similarity of
sentence embeddings from the model layer's encoder, for the unit and for the article's title).
The reply is the best unit plus the units of the same article that score nearly as well, in the
article's order, within a word budget, and cites the article. The customer gets the sentences
with the fact, never the article pasted.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import OSA

from warmline.shop.help_center import HelpArticle, Unit
from warmline.shop.language import language_of
from warmline.shop.phrases import Question

Encode = Callable[[Sequence[str]], np.ndarray]

WORD = re.compile(r"[a-z0-9$%]+(?:[.,'][a-z0-9]+)*")
STOPWORDS = frozenset(
    """a an the is are was were be been being am do does did i me my we our you your it its this that
    these those of to in on at for from by with about as and or but if so can could would should will
    shall may might must have has had what which who whom how when where why there here any some
    please hi hello hey thanks thank just also get got im i'm id i'd ive i've dont don't ok okay""".split()
)
# Words shorter than this are never respelled ("paris" is no "parts"); nor are everyday words the
# help center happens not to use ("weather" must not become "leather").
MIN_FIXED = 6
COMMON_WORDS = frozenset(
    """want need know tell help thanks hello good great like love hate weather flight hotel doctor recipe
    movie music song game phone call email money time today tomorrow yesterday week month year morning night
    please sorry okay yeah nope wife husband friend mother father daughter son birthday gift present
    what when where which whose while would could should there their they them then than these those
    whats thats dont cant wont doesnt didnt isnt arent youre theres hows""".split()
)
BM25_K1 = 1.2
BM25_B = 0.6
# Weights of the four signals and the lead prior (they sum to 1): the meaning of the unit counts
# most, then the article's words and title. Chosen on the pack's own questions (eval/bot.jsonl).
W_UNIT_LEX, W_ARTICLE_LEX, W_UNIT_DENSE, W_TITLE_DENSE = 0.05, 0.2, 0.45, 0.2
# Units of the best article that score at least this share of the best unit join the answer.
KEEP_SHARE = 0.6
MAX_UNITS = 3
LEAD_PRIOR = 0.1
PROBE = "Where is my order?"
ANSWER_WORDS = 70  # the reply's budget before the citation (the whole reply stays <= 80)
# How customers ask (``store/questions.yaml``): a turn close in meaning to a phrasing mapped to a
# sentence adds to that sentence's score, from nothing at ASK_FLOOR to ASK_WEIGHT at a perfect match.
ASK_WEIGHT = 0.3
ASK_FLOOR = 0.6


# What kind of fact a question asks for, and how a sentence that states one looks: "how much is
# Acme Plus?" wants the sentence with the price, "how long do I have?" the one with the days.
# (question cue, fact pattern), the cues in the languages the store serves most.
FACT_KINDS: tuple[tuple[re.Pattern[str], re.Pattern[str]], ...] = tuple(
    (re.compile(question, re.I), re.compile(fact, re.I))
    for question, fact in (
        (
            r"how much|\bcosts?\b|\bprices?\b|\bfees?\b|\bcharge|expensive|cheap|cuanto cuesta|\bcuesta|precio|"
            r"combien|co[uû]te|\bprix\b|\bkost|preis|quanto (?:custa|costa)|\bcusta|pre[cç]o|prezzo|tarif",
            r"\$\s?\d|\d[.,]\d\d\b|\bfree\b|\d+ ?%",
        ),
        (
            r"how long|how many (?:days|hours|weeks|months|years|business days)|how soon|how quickly|how fast|"
            r"deadline|\bwindow\b|until when|by when|valid|expire|last\b|cu[aá]nto tiempo|cu[aá]ntos d[ií]as|"
            r"combien de (?:temps|jours)|wie lange|wie viele tage|quanto tempo|quantos dias|quanti giorni|hoe lang",
            r"\b\d+(?:[-\u2013]\d+)? (?:business |calendar )?(?:days?|hours?|minutes?|weeks?|months?|years?)\b|"
            r"next business day|same day|\d+-(?:day|hour|minute|month|year)\b|straight away|instantly",
        ),
        (
            r"\bwhen\b|what date|which day|what day|cu[aá]ndo|\bquand\b|\bwann\b|\bquando\b|wanneer",
            r"\b(?:january|february|march|april|may|june|july|august|september|october|november|december)\b|"
            r"\b\d+(?:[-\u2013]\d+)? (?:business )?(?:days?|hours?|weeks?|months?)\b",
        ),
        (
            r"what time|opening|\bopen\b|\bhours\b|\bclose[sd]?\b|horario|heures|[öo]ffnungszeit|orari",
            r"\b\d{1,2}(?::\d\d)? ?[ap]\.?m\b|\bclosed\b|24/7",
        ),
        (r"how many|maximum|\bmax\b|\blimit|minimum|at least|at most|cu[aá]nt[oa]s|combien de|wie viele", r"\b\d+\b"),
        (r"phone|call you|\bnumber to call|telephone|tel[eé]fono|t[eé]l[eé]phone|telefon", r"\d-\d{3}-\d{3}-\d{4}"),
    )
)
# What a sentence stating the kind of fact asked for adds to its score.
FACT_BOOST = 0.08
# A question for an amount ("how much", "how many days") is answered by a sentence with one.
ASKS_AMOUNT = re.compile(
    r"\bhow (?:much|long|many)\b|cu[aá]nto|combien|wie (?:lange|viel)|quant[oaie]|hoe (?:lang|veel)|\bile\b|"
    # "what does Acme Plus cost?", "what's the price of overnight?", "was kostet das Etikett?"
    r"\bwhat(?:'s| is| are| does| do)?\b.{0,40}\b(?:cost|costs|price|fee|charge)\b|\bkoste(?:t|n)\b",
    re.I,
)
# A measurement the customer gives ("my chest is 43 inches") inside a range a sentence states
# ("L: chest (in) 42-44") in a question about size or fit: that sentence is the one for them.
# Not prices, not durations, not dates ("delivered Nov 3" is no "3-5 business days").
MEASURE = re.compile(
    r"(?<![$\d.,])(\d{1,3}(?:\.\d)?)(?![\d%])"
    r"(?!\s*(?:business |calendar )?(?:days?|weeks?|months?|years?|hours?|minutes?|%))"
)
RANGE = re.compile(r"(?<![$\d.])(\d{1,3}(?:\.\d+)?)\s?[-\u2013]\s?(\d{1,3}(?:\.\d+)?)(?![\d%])")
RANGE_BOOST = 0.1
SIZE_QUESTION = re.compile(
    r"\b(?:sizes?|sizing|fits?|inch(?:es)?|in\.|cm|chest|waist|inseam|neck|sleeve|measure\w*)\b", re.I
)


# A code or model the customer names ("HOLIDAY25", "BOOTS30"): letters and digits in one word.
# The encoder cannot read it; the sentence that spells it is the one about it.
CODE = re.compile(r"\b(?=[a-z]*\d)(?=\d*[a-z])[a-z\d]{5,}\b", re.I)
CODE_BOOST = 0.15


# A unit labelled with what the customer names ("Inseams: 30, 32 and 34...", "Oversized item fee:
# ..."): the row or bullet about that very thing, before its neighbours that only share the topic.
LABEL = re.compile(r"^([^:.;]{2,40}):\s")
LABEL_BOOST = 0.06


def label_terms(text: str) -> frozenset[str]:
    """The terms of a unit's label ("Inseams: ..." -> {"inseam"}); empty when it has none."""
    found = LABEL.match(text)
    return frozenset(terms(found.group(1))) if found and len(found.group(1).split()) <= 4 else frozenset()


# Membership levels: a table row about another level than the one asked is not said.
LEVEL = re.compile(r"\b(guest|bronze|silver|gold)\b")
LEVEL_ROW = re.compile(r"^(guest|bronze|silver|gold)\b", re.I)


def other_level(text: str, asked: set[str]) -> bool:
    """Whether ``text`` is a row about a level other than the ones asked ("Bronze: ..." for gold)."""
    row = LEVEL_ROW.match(text)
    return row is not None and row.group(1).lower() not in asked


def code_pattern(codes: Sequence[str]) -> re.Pattern[str]:
    """One pattern for the codes a query names, compiled once per query, not once per sentence."""
    return re.compile("|".join(rf"\b{re.escape(code)}\b" for code in codes), re.I)


def measurements(query: str) -> list[float]:
    """The numbers of a question about size or fit ("my chest is 43 inches": [43.0]); else none."""
    return [float(n) for n in MEASURE.findall(query)] if SIZE_QUESTION.search(query) else []


def within_ranges(numbers: Sequence[float], text: str) -> bool:
    """Whether one of ``numbers`` lies in a range ``text`` states."""
    return any(float(a) <= n <= float(b) for a, b in RANGE.findall(text) for n in numbers if float(a) < float(b))


def fact_kinds(query: str) -> list[int]:
    """The kinds of fact ``query`` asks for, as indexes of FACT_KINDS (empty when none in particular)."""
    return [kind for kind, (question, _) in enumerate(FACT_KINDS) if question.search(query)]


def stem(word: str) -> str:
    """A light English stemmer: enough to meet "returns"/"returned"/"returning" at "return"."""
    for suffix, keep in (("ies", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3 and not word.endswith("ss"):
            word = word[: -len(suffix)] + keep
            break
    # "price" and "prices", "resole" and "resoling" meet at "pric" and "resol".
    return word[:-1] if word.endswith("e") and len(word) > 4 else word


NUMBER_WORDS = {
    "one": "1", "two": "2", "three": "3", "four": "4", "five": "5", "six": "6", "seven": "7", "eight": "8",
    "nine": "9", "ten": "10", "twelve": "12", "fourteen": "14", "thirty": "30", "sixty": "60",
}  # fmt: skip


def terms(text: str) -> list[str]:
    """The words BM25 compares: lower-cased, stemmed, without stopwords, numbers as digits."""
    words = WORD.findall(text.lower().replace("-", " "))
    return [stem(NUMBER_WORDS.get(w, w)) for w in words if w not in STOPWORDS]


class Bm25:
    """Okapi BM25 with postings per term, so a query costs its terms' postings, not the corpus."""

    def __init__(self, documents: Sequence[Sequence[str]]) -> None:
        self.size = len(documents)
        lengths = np.array([max(1, len(d)) for d in documents], dtype=np.float32)
        average = float(lengths.mean()) if self.size else 1.0
        norm = BM25_K1 * (1 - BM25_B + BM25_B * lengths / average)
        postings: dict[str, list[tuple[int, int]]] = {}
        for index, document in enumerate(documents):
            for term, count in Counter(document).items():
                postings.setdefault(term, []).append((index, count))
        self.postings: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for term, rows in postings.items():
            docs = np.array([d for d, _ in rows], dtype=np.int64)
            tf = np.array([c for _, c in rows], dtype=np.float32)
            idf = math.log(1 + (self.size - len(rows) + 0.5) / (len(rows) + 0.5))
            self.postings[term] = (docs, idf * tf * (BM25_K1 + 1) / (tf + norm[docs]))

    def scores(self, query: Sequence[str]) -> np.ndarray:
        out = np.zeros(self.size, dtype=np.float32)
        for term in set(query):
            posting = self.postings.get(term)
            if posting is not None:
                out[posting[0]] += posting[1]
        return out


def answerable(unit: Unit) -> bool:
    """A lead-in ("Other things that can look like fees:") or a bare cross-reference ("See
    "Do you ship internationally?"") is never an answer on its own; a lead-in that states a
    number ("Please report it within 14 days of delivery:") is."""
    text = unit.text.strip()
    lead_in = text.endswith(":") and not re.search(r"\d", text)
    return not (lead_in or text.startswith(('"', "“")) or text.lower().startswith("see "))


@dataclass(frozen=True)
class Answer:
    article_id: str
    title: str
    units: tuple[Unit, ...]
    score: float  # 0..1, the best unit's combined score
    # How well the help center answers the words as written (respelled words make no turn in
    # scope: "recipie" is no "receipt"); the score otherwise.
    scope_score: float = 0.0
    lead: Unit | None = None  # the unit that answers best

    @property
    def text(self) -> str:
        return " ".join(u.text for u in self.units)


def accent_folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower().replace("ß", "ss"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# "Zoll" is German for customs and for inches; after a number it is inches ("44 Zoll Brustumfang").
INCHES = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)?\s?zoll\b")


class Glossary:
    """Support words of other languages -> English, for searching an English help center."""

    def __init__(self, entries: dict[str, str]) -> None:
        # Longest phrases first, so "carte cadeau" is read before "carte".
        keys = sorted((accent_folded(k) for k in entries), key=len, reverse=True)
        folded_entries = {accent_folded(k): v for k, v in entries.items()}
        self._entries = folded_entries
        self._pattern = (
            re.compile(r"(?<![\w])(?:" + "|".join(re.escape(k) for k in keys) + r")(?![\w])") if keys else None
        )

    def english(self, query: str) -> str:
        """``query`` with the English of the words it has in the glossary appended ("" when none)."""
        if self._pattern is None:
            return ""
        folded = accent_folded(query)
        inches = INCHES.search(folded) is not None
        if inches:
            folded = re.sub(r"zoll\b", "", folded)
        found = dict.fromkeys(self._entries[m.group()] for m in self._pattern.finditer(folded))
        return " ".join([*found, *(["inches"] if inches else [])])


class HelpCenterIndex:
    """Thread-safe after construction: searching reads only."""

    def __init__(
        self,
        articles: Sequence[HelpArticle],
        encode: Encode,
        vectors: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
        glossary: Glossary | None = None,
        questions: Sequence[Question] = (),
        english: frozenset[str] = frozenset(),
    ) -> None:
        self.glossary = glossary or Glossary({})
        # Words that are English as written ("normally", "planning"): never respelled.
        self._english = english
        self.articles = {a.id: a for a in articles}
        self.units = [u for a in articles for u in a.units]
        self._encode = encode
        self._article_of = [self.articles[u.article_id] for u in self.units]
        self._unit_lex = Bm25(
            [terms(f"{self._article_of[i].title} {u.context} {u.text}") for i, u in enumerate(self.units)]
        )
        order = list(self.articles)
        self._article_index = {aid: i for i, aid in enumerate(order)}
        self._article_lex = Bm25([terms(f"{a.title} {a.title} {a.body}") for a in articles])
        self._article_terms = {a.id: set(terms(f"{a.title} {a.body}")) for a in articles}
        self._vocabulary = frozenset(re.findall(r"[a-z]+", " ".join(f"{a.title} {a.body}" for a in articles).lower()))
        self._vocabulary_list = sorted(self._vocabulary)
        self._unit_article = np.array([self._article_index[u.article_id] for u in self.units], dtype=np.int64)
        # Help articles put the answer to their title first: a small prior for the lead units.
        self._prior = np.array(
            [LEAD_PRIOR if u.position == 0 else LEAD_PRIOR / 2 if u.position == 1 else 0.0 for u in self.units],
            dtype=np.float32,
        )
        self._answerable = np.array([answerable(u) for u in self.units])
        # Which kinds of fact each unit states (a price, a duration, a date...), read once.
        self._states = np.array(
            [[fact.search(u.text) is not None for _, fact in FACT_KINDS] for u in self.units], dtype=bool
        ).reshape(len(self.units), len(FACT_KINDS))
        self._labels = [label_terms(u.text) for u in self.units]
        # Which unit each customer phrasing is answered by.
        self._ask_units = np.array(ask_units(articles, questions), dtype=np.int64)
        if vectors is None:
            vectors = embed_help_center(articles, encode, questions)
        self._unit_vectors, self._title_vectors, self._ask_vectors = vectors

    def __len__(self) -> int:
        return len(self.units)

    def unit_scores(self, query: str, vector: np.ndarray | None = None) -> np.ndarray:
        if not self.units:
            return np.zeros(0, dtype=np.float32)
        query_terms = terms(query)
        if vector is None:
            vector = self._encode([query])[0]
        unit_lex = _scaled(self._unit_lex.scores(query_terms))
        article_lex = _scaled(self._article_lex.scores(query_terms))[self._unit_article]
        unit_dense = np.clip(self._unit_vectors @ vector, 0.0, 1.0)
        title_dense = np.clip(self._title_vectors @ vector, 0.0, 1.0)[self._unit_article]
        combined = (
            W_UNIT_LEX * unit_lex
            + W_ARTICLE_LEX * article_lex
            + W_UNIT_DENSE * unit_dense
            + W_TITLE_DENSE * title_dense
            + self._prior
        )
        if len(self._ask_units):
            asked = np.zeros(len(self.units), dtype=np.float32)
            np.maximum.at(asked, self._ask_units, (self._ask_vectors @ vector).astype(np.float32))
            combined = combined + ASK_WEIGHT * np.clip((asked - ASK_FLOOR) / (1 - ASK_FLOOR), 0.0, 1.0)
        return np.where(self._answerable, combined, 0.0).astype(np.float32)

    def answer(
        self,
        query: str,
        *,
        vector: np.ndarray | None = None,
        exclude: frozenset[int] = frozenset(),
        prefer: Callable[[Unit], float] | None = None,
        within: str | None = None,
    ) -> Answer | None:
        """The units that answer ``query`` (None when the help center has nothing). ``exclude``
        holds unit indexes already said in this conversation; ``prefer`` adds to a unit's score
        (the customer's own level or order, say); ``within`` keeps to one article (the one a
        follow-up question was found in with the question before it)."""
        searched = self.searched(query)
        if searched[0] != query:  # the encoder reads English: search the question with its glossed words
            query, vector = searched[0], None
        as_written: float | None = None
        if len(searched) > 1:  # "teh shiping cost for standerd" is searched as "the shipping cost for standard"
            as_written = float(self.unit_scores(query, vector).max(initial=0.0))
            query, vector = searched[1], None
        base = self.unit_scores(query, vector)
        if not len(base):
            return None
        # Ranking prefers the sentences that state the kind of fact asked for; how well the help
        # center answers at all (the score) is the base score's.
        scores = base.copy()
        wanted = fact_kinds(query)
        if wanted:
            states = self._states[:, wanted].any(axis=1)
            # A lead sentence that does not state what is asked ("Acme Plus is our paid
            # membership." for "how much is it?") is no answer first: it loses its prior.
            scores += FACT_BOOST * states
            if ASKS_AMOUNT.search(query):
                scores -= self._prior * ~states
        codes = [c.lower() for c in CODE.findall(query) if not re.fullmatch(r"[a-z]{2}\d{5,}", c, re.I)]
        if codes:  # not order numbers ("AB12345"): the records' business, not the help center's
            named = code_pattern(codes)
            scores += CODE_BOOST * np.array([named.search(u.text) is not None for u in self.units])
        asked_terms = set(terms(query))
        labelled = [bool(label) and label <= asked_terms for label in self._labels]
        if any(labelled):
            scores += LABEL_BOOST * np.array(labelled)
        numbers = measurements(query)
        if numbers:
            scores += RANGE_BOOST * np.array([within_ranges(numbers, u.text) for u in self.units])
        if prefer is not None:
            scores = scores + np.array([prefer(u) for u in self.units], dtype=np.float32)
        if within is not None:
            outside = np.array([u.article_id != within for u in self.units])
            if outside.all():
                return None
            scores = np.where(outside, -np.inf, scores)
            base = np.where(outside, 0.0, base)
        ranked = [int(i) for i in np.argsort(-scores)]
        best = next((i for i in ranked if i not in exclude), ranked[0])
        article = self._article_of[best]
        chosen = [best]
        words = len(self.units[best].text.split())
        for i in ranked[1:]:
            if len(chosen) >= MAX_UNITS or scores[i] < KEEP_SHARE * scores[best]:
                break
            if self.units[i].article_id != article.id or i in exclude or i in chosen:
                continue
            size = len(self.units[i].text.split())
            if words + size > ANSWER_WORDS:
                continue
            chosen.append(i)
            words += size
        # A chosen lead-in ("Reset 2FA with an email code:", "Lost your phone or changed your
        # number?") says nothing alone: what it leads to comes with it, as far as the words allow.
        queue = [i for i in chosen if self._leads_in(i)]
        while queue:
            for j in self._led_to(queue.pop(0)):
                if j in chosen or j in exclude:
                    continue
                size = len(self.units[j].text.split())
                if words + size > ANSWER_WORDS:
                    break
                chosen.append(j)
                words += size
                if self._leads_in(j):
                    queue.append(j)
        asked_levels = set(LEVEL.findall(query.lower()))
        if asked_levels:  # "what do gold members get?": the gold row, not bronze's and silver's too
            chosen = [i for i in chosen if i == best or not other_level(self.units[i].text, asked_levels)]
        chosen.sort(key=lambda i: self.units[i].position)
        answered = max(base[best], base[ranked[0]])  # how well the help center answers, said or not
        return Answer(
            article_id=article.id,
            title=article.title,
            units=tuple(self.units[i] for i in chosen),
            lead=self.units[best],
            score=round(float(min(1.0, answered)), 4),
            scope_score=round(float(min(1.0, answered if as_written is None else as_written)), 4),
        )

    def searched(self, query: str) -> list[str]:
        """The texts searching ``query`` encodes: the query with the English of its glossary words,
        then, if it has misspelled words, the same respelled."""
        english = self.glossary.english(query)
        glossed = f"{query} {english}" if english else query
        spelled = self.spelled(glossed)
        return [glossed] if spelled == glossed else [glossed, spelled]

    def prefetch(self, queries: Sequence[str], also: Sequence[str] = ()) -> None:
        """Encode at once every text searching these queries needs, and ``also`` (one call to the
        encoder instead of one per query: its cache then serves each search)."""
        texts = list(dict.fromkeys([*also, *(t for q in queries for t in self.searched(q))]))
        if texts:
            self._encode(texts)

    def spelled(self, query: str) -> str:
        """``query`` with its misspelled words replaced by the help center's closest word (one
        edit for short words, two for long ones); words the help center uses stay."""

        def fix(match: re.Match[str]) -> str:
            word = match.group()
            lower = word.lower()
            if len(lower) < MIN_FIXED or self.knows(lower):
                return word
            limit = 1 if len(lower) < 8 else 2
            found = process.extractOne(lower, self._vocabulary_list, scorer=OSA.distance, score_cutoff=limit)
            return found[0] if found is not None else word

        return re.sub(r"[A-Za-z]+", fix, query)

    def coverage(self, query: str, article_id: str) -> float:
        """The share of the query's words (stemmed, without stopwords) that the article uses: an
        off-topic question shares few ("what's the capital of France" meets "France" only)."""
        # A question in another language is judged on its glossed support words; one in English
        # on its own words ("what's the capital of France" is not all "international").
        english = self.glossary.english(query) if language_of(query) not in (None, "en") else ""
        query_terms = set(terms(english or query))
        if not query_terms or article_id not in self._article_terms:
            return 0.0
        return len(query_terms & self._article_terms[article_id]) / len(query_terms)

    def _leads_in(self, i: int) -> bool:
        return self.units[i].text.endswith((":", "?"))

    def _led_to(self, i: int) -> list[int]:
        """The units a lead-in unit introduces: the list under "...:", the answer after "...?"."""
        unit = self.units[i]
        after = [j for j in range(i + 1, min(i + 6, len(self.units))) if self.units[j].article_id == unit.article_id]
        if unit.text.endswith(":"):
            return [j for j in after if self.units[j].context == unit.text]
        return after[:1]

    def knows(self, word: str) -> bool:
        """Whether ``word`` is English or a word of the help center (not a name or a username)."""
        lower = word.lower()
        return lower in self._vocabulary or lower in self._english or lower in STOPWORDS or lower in COMMON_WORDS

    def index_of(self, unit: Unit) -> int:
        return self.units.index(unit)


# A sentence that opens on a pronoun ("It costs $49 a year") is about what the sentence before it
# names ("Acme Plus is our paid membership."): it is embedded with that sentence.
REFERS_BACK = re.compile(r"^(?:it|its|it's|they|their|this|that|these|those|he|she)\b", re.I)


def ask_units(articles: Sequence[HelpArticle], questions: Sequence[Question]) -> list[int]:
    """The index (in the articles' units, in order) of the unit answering each phrasing of
    ``questions``: the first unit of the named article that starts with, else holds, the answer."""
    from warmline.packs import PackError

    offsets, start = {}, 0
    for article in articles:
        offsets[article.id] = (start, article)
        start += len(article.units)
    found: list[int] = []
    for question in questions:
        if question.article not in offsets:
            raise PackError(f"questions: no help-center article {question.article!r}")
        first, article = offsets[question.article]
        wanted = question.answer.lower()
        texts = [u.text.lower() for u in article.units]
        position = next((i for i, t in enumerate(texts) if t.startswith(wanted)), None)
        if position is None:
            position = next((i for i, t in enumerate(texts) if wanted in t), None)
        if position is None:
            raise PackError(f"questions: {question.article!r} has no sentence {question.answer!r}")
        found += [first + position] * len(question.asks)
    return found


def embedding_texts(
    articles: Sequence[HelpArticle],
    questions: Sequence[Question] = (),
) -> tuple[list[str], list[str], list[str]]:
    units = []
    for article in articles:
        previous = ""
        for unit in article.units:
            text = f"{previous} {unit.text}" if previous and REFERS_BACK.match(unit.text) else unit.text
            units.append(f"{unit.context}: {text}" if unit.context else text)
            previous = unit.text
    return units, [a.title for a in articles], [ask for q in questions for ask in q.asks]


def embed_help_center(
    articles: Sequence[HelpArticle], encode: Encode, questions: Sequence[Question] = ()
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    units, titles, asks = embedding_texts(articles, questions)
    empty = np.zeros((0, 384), dtype=np.float32)
    return tuple(encode(texts) if texts else empty for texts in (units, titles, asks))  # type: ignore[return-value]


def vectors_stamp(
    articles: Sequence[HelpArticle], encode: Encode, questions: Sequence[Question] = ()
) -> tuple[str, np.ndarray]:
    """What stored vectors must match: the texts' hash, and the encoder's vector of a probe
    sentence (a different encoder gives a different vector, whatever its name)."""
    units, titles, asks = embedding_texts(articles, questions)
    digest = hashlib.sha256("\0".join([*units, "\1", *titles, "\2", *asks]).encode()).hexdigest()[:16]
    return digest, encode([PROBE])[0]


def load_vectors(
    path: Path, articles: Sequence[HelpArticle], encode: Encode, questions: Sequence[Question] = ()
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    if not path.is_file():
        return None
    digest, probe = vectors_stamp(articles, encode, questions)
    try:
        with np.load(path) as stored:
            if str(stored["digest"]) != digest or not np.allclose(stored["probe"], probe, atol=2e-2):
                return None
            return (
                stored["units"].astype(np.float32),
                stored["titles"].astype(np.float32),
                stored["asks"].astype(np.float32),
            )
    except (OSError, KeyError, ValueError):
        return None


def save_vectors(
    path: Path, articles: Sequence[HelpArticle], encode: Encode, questions: Sequence[Question] = ()
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    digest, probe = vectors_stamp(articles, encode, questions)
    units, titles, asks = embed_help_center(articles, encode, questions)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(
        path,
        digest=np.array(digest),
        probe=probe,
        units=units.astype(np.float16),
        titles=titles.astype(np.float16),
        asks=asks.astype(np.float16),
    )
    return units, titles, asks


def _scaled(scores: np.ndarray) -> np.ndarray:
    top = float(scores.max()) if len(scores) else 0.0
    return scores / top if top > 0 else scores

"""Details of the customer's case beyond identity: codes, product attributes, dates, what they tried.

Each finder returns ``(kind, value, span, resolved)``: ``value`` is always the words the customer
typed (so every fact is supported by the transcript), ``resolved`` an optional normal form: the
calendar date of "3 days ago" against the message time (``dateparser``), "Joseph Banter" for
"Banter, Joseph" (``nameparser``), E.164 for a phone number (``phonenumbers``).

Precision over recall: a promo code needs a code word nearby or the shape of one (letters then
digits, "SAVE20"); a size or a colour needs an item, "size" or "in" beside it; a date needs a date
expression that dateparser resolves; what was tried needs a first-person "already"/"tried" clause.
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Iterator
from datetime import datetime
from functools import lru_cache
from typing import NamedTuple

import phonenumbers
from nameparser import HumanName


class Found(NamedTuple):
    kind: str
    value: str
    span: tuple[int, int]
    resolved: str | None = None


CODE_WORDS = (
    r"promo(?:tion(?:al)?)?(?: code)?|coupon(?: code)?|discount(?: code)?|voucher(?: code)?|offer code|"
    r"c[oó]digo(?: promocional| de descuento)?|cup[oó]n|cupom|code(?: promo)?|gutschein(?:code)?|rabattcode|"
    r"codice(?: sconto)?|kortingscode|kod(?: rabatowy| promocyjny)?"
)
# "promo code SAVE20", "the code: save20", "coupon SPRING-15"; the code has a digit or is upper case.
CODE_AFTER_WORD = re.compile(
    rf"\b(?i:{CODE_WORDS})\s*(?:is|was|:|#|=|de|\"|')?\s*[\"']?([A-Za-z0-9][A-Za-z0-9-]{{2,19}})\b", re.I
)
# A code-shaped token on its own: letters then digits (SAVE20, WELCOME10), upper case.
CODE_SHAPE = re.compile(r"\b([A-Z]{3,12}-?\d{1,4})\b")
OTHER_CODES = re.compile(
    r"\b(?:zip|postal|post|area|pin|security|verification|confirmation|tracking|country|login|2fa|access|reset)\s+code",
    re.I,
)
CODE_CONTEXT = re.compile(rf"\b(?:{CODE_WORDS}|checkout|discount|%\s*off)\b", re.I)
GIFT_CARD = re.compile(
    r"\bgift ?card(?:\s*(?:number|no\.?|code|#))?\s*(?:is|:|#)?\s*"
    r"((?-i:[A-Z0-9]{2,5})(?:[ -]?(?=[A-Z0-9]{0,3}\d)[A-Z0-9]{4}){1,4}|(?=[A-Z]*\d)[A-Z0-9]{8,20})\b",
    re.I,
)
NOT_CODES = {
    "is",
    "was",
    "the",
    "and",
    "for",
    "from",
    "that",
    "this",
    "it",
    "says",
    "said",
    "doesn",
    "didn",
    "isn",
    "not",
    "invalid",
    "expired",
    "code",
    "promo",
    "coupon",
    "works",
    "work",
    "won",
    "at",
    "in",
    "on",
    "you",
    "valid",
    "anymore",
    "either",
    "field",
    "box",
    "there",
    "which",
    "when",
    "but",
    "i",
    "my",
    "es",
    "no",
    "est",
    "ist",
    "non",
    "nie",
    "niet",
    "que",
    "ne",
    "der",
    "die",
    "das",
    "promocional",
    "descuento",
    "sconto",
    "rabatowy",
    "promocyjny",
    "de",
    "del",
    "le",
    "la",
    "el",
    "di",
    "da",
}

ITEMS = (
    "t-shirt|shirt|jeans|boots|jacket|sweater|dress|coat|hoodie|blouse|shoes|sneakers|pants|trousers|skirt|shorts|"
    "hat|scarf|belt|bag|socks|sweatshirt|cardigan|vest"
)
BRANDS = r"michael kors|calvin klein|guess|tommy hilfiger|banana republic|cedar"
ITEM = re.compile(rf"\b(?:(?i:{BRANDS})\s+)?(?i:{ITEMS})\b")
COLOURS = (
    "black|white|red|blue|navy|green|yellow|grey|gray|pink|purple|brown|beige|orange|tan|khaki|olive|maroon|"
    "burgundy|cream|ivory|teal|light blue|dark blue|denim"
)
ITEM_SIZES = r"(?:extra[- ])?(?:small|medium|large)|XXL|XL|XS"
COLOUR = re.compile(
    rf"\b(?:in|colou?r(?: is)?|the)\s+({COLOURS})\b|"
    rf"\b({COLOURS})\s+(?=(?:(?:{ITEM_SIZES})\s+)?(?:{BRANDS}\s+)?(?:{ITEMS})\b)",
    re.I,
)
SIZE_WORDS = r"(?:extra[- ])?(?:small|medium|large)|xxs|xs|xxl|xl|\d{1,2}(?:\.5)?(?:\s?(?:wide|w|l))?|[sml]"
SIZE = re.compile(
    rf"\bsize\s+({SIZE_WORDS})\b|\bin (?:a |an )?({SIZE_WORDS})\b(?=\s*(?:size|instead|and|but|or|please|$|[.,!?]))|"
    rf"\b(?:a|an|the)\s+(?:(?:{COLOURS})\s+)?({ITEM_SIZES})\s+(?=(?:(?:{COLOURS})\s+)?(?:{BRANDS}\s+)?(?:{ITEMS})\b)",
    re.I,
)

# Date expressions dateparser is asked to resolve (it is slow at searching free text, fast at parsing).
WEEKDAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday"
MONTHS = (
    "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|"
    "oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
NUMBER_WORDS = "a|an|one|two|three|four|five|six|seven|eight|nine|ten|a couple of|a few|\\d{1,3}"
DATE = re.compile(
    rf"\b(?:(?:{NUMBER_WORDS}|a couple)\s+(?:days?|weeks?|months?|hours?)\s+(?:ago|back)|"
    rf"(?:since|last|this past|on|this|next)\s+(?:{WEEKDAYS}|week|month|weekend)|(?:{WEEKDAYS})|"
    rf"yesterday|tomorrow|the day before yesterday|"
    rf"(?:{MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{MONTHS})(?:\s+\d{{4}})?|"
    rf"\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}/\d{{1,2}}(?:/\d{{2,4}})?|"
    rf"hace\s+\d{{1,3}}\s+d[ií]as|ayer|il y a\s+\d{{1,3}}\s+jours|hier|vor\s+\d{{1,3}}\s+tagen|gestern|"
    rf"h[aá]\s+\d{{1,3}}\s+dias|ontem|\d{{1,3}}\s+giorni fa|ieri|\d{{1,3}}\s+dagen geleden|gisteren|"
    rf"\d{{1,3}}\s+dni temu|wczoraj)\b",
    re.I,
)
DATE_LANGUAGES = ["en", "es", "fr", "de", "pt", "it", "nl", "pl"]

# What the customer already did: a first-person clause with "already", "tried", or a fix verb.
TRIED = re.compile(
    r"\b(?:I(?:'ve| have)?\s+(?:already|also|even)\s+(?:[a-z]+ed|tried|reset|done|sent|paid|made|gone|went|"
    r"logged out|taken|given it|run|rebooted|uninstalled|reinstalled)\b[^.!?;]{0,80}|"
    r"I(?:'ve| have)?\s+(?:tried|checked|double[- ]checked|restarted|cleared|reset|re-?entered|logged out|"
    r"updated|reinstalled|rebooted|refreshed|looked|searched|called|emailed|contacted)\b[^.!?;]{0,80}|"
    r"ya (?:intent[eé]|prob[eé]|revis[eé])[^.!?;]{0,80}|j'ai d[ée]j[àa] [^.!?;]{3,80}|"
    r"ich habe (?:schon|bereits) [^.!?;]{3,80}|"
    r"j[aá] tentei[^.!?;]{0,80}|ho gi[àa] [^.!?;]{3,80}|ik heb al [^.!?;]{3,80}|ju[zż] pr[oó]bowa[łl][^.!?;]{0,80})",
    re.I,
)
CLAUSE_END = re.compile(
    r",?\s+(?:but|and it|and still|still|yet|however)\s+|"
    r",\s+(?=(?:the|it|nothing|still|so|is|are|can|could|would|will|do|does|did|what|why|how|when)\b)",
    re.I,
)
TRIED_NOT = re.compile(
    r"^I(?:'ve| have)?\s+(?:already|also|even)\s+(?:told|said|gave|asked|explained|mentioned)\b", re.I
)

# How something reached the customer ("I got it in an email", "the code came by text").
RECEIVED_VIA = re.compile(
    r"\b(?:got|received|get|came|sent|arrived|found|saw)\b[^.!?;]{0,25}?\b(?:in|by|via|through|from|on)\s+"
    r"(?:an?\s+|the\s+|your\s+|my\s+)?(e-?mail|newsletter|text(?: message)?|sms|letter|mail|flyer|app|"
    r"instagram|facebook|ad|advert(?:isement)?|receipt|catalog(?:ue)?)\b",
    re.I,
)

# Names in another form: "Banter, Joseph", "the name on the account is joseph banter".
LAST_FIRST = re.compile(r"^\s*([A-Za-z][a-z'-]+),\s*([A-Za-z][a-z'-]+)\s*[.!]?\s*$")
NAME_UNDER = re.compile(
    r"\b(?i:(?:the )?(?:account|order|name on (?:the|my) account|its|it)(?:'s| is)? "
    r"(?:under|in the name of)(?: the name)?(?! (?:my|his|her|their) )|"
    r"(?:under|in) (?:my|his|her|their|the) (?:\w+'s )?name(?: of)?[,:]?|"
    r"under my (?:husband|wife|partner|mom|mum|mother|dad|father|son|daughter|sister|brother|boss|company)(?:'s)?"
    r"(?: name)?[,:]?|name on (?:the|my) (?:order|account|card|package)(?: is|:)|account holder(?: is|:)|"
    r"name(?:'s| is)|my name's|call me)\s+([A-Za-z][a-z'-]+(?:\s+[A-Za-z][a-z'-]+){0,2})"
)
# "first name Joseph, last name Banter", "last name is Banter and first name Joseph"
FIRST_AND_LAST = re.compile(
    r"(?i:first name(?: is|:)?)\s+(?P<first>[A-Za-z][a-z'-]+)[,;]?\s+(?i:and\s+)?(?i:(?:my|the)\s+)?"
    r"(?i:last name|surname|family name)(?: is|:)?\s+(?P<last>[A-Za-z][a-z'-]+)|"
    r"(?i:last name|surname|family name)(?: is|:)?\s+(?P<last2>[A-Za-z][a-z'-]+)[,;]?\s+(?i:and\s+)?"
    r"(?i:(?:my|the)\s+)?(?i:first name)(?: is|:)?\s+(?P<first2>[A-Za-z][a-z'-]+)"
)
NAME_FILLERS = {"btw", "thanks", "thank", "please", "pls", "here", "and", "but", "so", "again", "too", "from", "by"}


def find_codes(text: str) -> Iterator[Found]:
    for match in GIFT_CARD.finditer(text):
        yield Found("gift_card", match.group(1).strip(), match.span(1))
    for match in CODE_AFTER_WORD.finditer(text):
        code = match.group(1)
        if code.lower() in NOT_CODES or not (any(c.isdigit() for c in code) or code.isupper()) or len(code) < 4:
            continue
        if not any(c.isalpha() for c in code) or OTHER_CODES.search(text[max(0, match.start() - 16) : match.end(1)]):
            continue  # "zip code is 21131", "the verification code 448812": not a promo code
        yield Found("promo_code", code, match.span(1))
    if CODE_CONTEXT.search(text):
        for match in CODE_SHAPE.finditer(text):
            yield Found("promo_code", match.group(1), match.span(1))


def find_product_details(text: str) -> Iterator[Found]:
    for match in ITEM.finditer(text):
        yield Found("product", match.group(), match.span())
    for match in COLOUR.finditer(text):
        group = 1 if match.group(1) else 2
        yield Found("colour", match.group(group).lower(), match.span(group))
    for match in SIZE.finditer(text):
        group = next(i for i in (1, 2, 3) if match.group(i))
        value = match.group(group)
        if value.lower() in {"s", "m", "l"} and not value.isupper():
            continue  # "in a m..." is not a size; a lone upper-case S/M/L after "size"/"in" is
        yield Found("size", value, match.span(group))


_warm = threading.Event()


WARM_UP_DATES = ("3 days ago", "hace 3 días", "il y a 3 jours", "vor 3 Tagen", "há 3 dias", "ieri", "wczoraj")


def warm_up() -> None:
    """Load dateparser and its languages (seconds on first use); the model calls it in a thread at start."""
    try:
        for expression in WARM_UP_DATES:
            _resolve(expression, datetime(2026, 1, 1))
    finally:
        _warm.set()


def wait_until_warm(timeout: float) -> bool:
    """Whether the warm-up finished within ``timeout`` seconds (benchmarks time the warm state)."""
    return _warm.wait(timeout)


@lru_cache(maxsize=2048)
def _resolve(expression: str, base: datetime) -> str | None:
    import dateparser  # imported on first use: most turns hold no date, and it takes a second to load

    expression = re.sub(r"^(?:since|on)\s+", "", expression, flags=re.I)
    expression = re.sub(r"\bback$", "ago", re.sub(r"^a couple\s+(?!of)", "2 ", expression, flags=re.I), flags=re.I)
    parsed = dateparser.parse(
        expression,
        languages=DATE_LANGUAGES,
        settings={"RELATIVE_BASE": base.replace(tzinfo=None), "PREFER_DATES_FROM": "past", "STRICT_PARSING": False},
    )
    return parsed.date().isoformat() if parsed else None


def find_dates(text: str, sent_at: datetime | None) -> Iterator[Found]:
    for match in DATE.finditer(text):
        resolved = _resolve(match.group(), sent_at.replace(second=0, microsecond=0)) if sent_at else None
        if sent_at is not None and resolved is None:
            continue  # not a date dateparser recognises: keep nothing rather than a guess
        yield Found("date", match.group(), match.span(), resolved)


TRIED_ASKED = re.compile(
    r"\b(?:have you (?:already )?tried|did you (?:already )?try|what have you (?:already )?tried|"
    r"have you (?:already )?(?:restarted|cleared|refreshed|reset|checked|updated|reinstalled|logged out))\b",
    re.I,
)
# A reply that starts with what was done, without "I": "yes, refreshed and logged out", "restarted my phone".
TRIED_ANSWER = re.compile(
    r"^\s*(?:(?:yes|yeah|yep|yup|of course|already did)[,.!]?\s+(?:i\s+(?:already\s+)?)?)?"
    r"((?:already\s+)?(?:tried|checked|double[- ]checked|restarted|cleared|reset|re-?entered|logged out|updated|"
    r"reinstalled|rebooted|refreshed|switched|deleted|used|turned)\b[^.!?;]{0,80})",
    re.I,
)


def find_tried(text: str, asked: str | None = None) -> Iterator[Found]:
    if asked and TRIED_ASKED.search(asked) and not TRIED.search(text):
        answer = TRIED_ANSWER.match(text)
        if answer:
            clause = CLAUSE_END.split(answer.group(1).strip(" ,"), maxsplit=1)[0]
            yield Found("tried", clause, (answer.start(1), answer.start(1) + len(clause)))
    for match in TRIED.finditer(text):
        clause = match.group().strip(" ,")
        if TRIED_NOT.match(clause):
            continue  # "I already told you ..." is frustration, not something tried
        clause = CLAUSE_END.split(clause, maxsplit=1)[0]
        yield Found("tried", clause, (match.start(), match.start() + len(clause)))


def find_received_via(text: str) -> Iterator[Found]:
    for match in RECEIVED_VIA.finditer(text):
        yield Found("received_via", match.group(1).lower(), match.span(1))


PHONE_WORDS = re.compile(r"\b(?:phone|cell|mobile|tel|telephone|call me|text me|reach me)\b")


def find_phones(text: str) -> Iterator[Found]:
    """Phone numbers by libphonenumber (US default region); a bare run of digits is an order id here."""
    for match in phonenumbers.PhoneNumberMatcher(text, "US", leniency=phonenumbers.Leniency.POSSIBLE):
        raw = match.raw_string
        before = text[max(0, match.start - 25) : match.start].lower()
        if raw.isdigit() and not PHONE_WORDS.search(before):
            continue
        e164 = phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
        yield Found("phone", raw, (match.start, match.end), e164)


def normal_name(typed: str) -> str | None:
    """'Banter, Joseph' -> 'Joseph Banter'; None when nameparser sees no first and last name."""
    name = HumanName(typed)
    if not (name.first and name.last):
        return None
    return f"{name.first} {name.last}".title()


def find_names(text: str) -> Iterator[Found]:
    inverted = LAST_FIRST.match(text)
    if inverted:
        typed = inverted.group(0).strip().rstrip(".!")
        yield Found("name", typed, inverted.span(), normal_name(typed))
    for match in FIRST_AND_LAST.finditer(text):
        first = match.group("first") or match.group("first2")
        last = match.group("last") or match.group("last2")
        yield Found("name", match.group(0), match.span(), f"{first} {last}".title())
    for match in NAME_UNDER.finditer(text):
        typed = _trim_name(match.group(1))
        if typed:
            yield Found("name", typed, (match.start(1), match.start(1) + len(typed)), None)


def _trim_name(words: str) -> str:
    """The name in a run of words after "name's" or "under": a capitalised name ends at its first
    lower-case word ("Chloe Zhang btw" -> "Chloe Zhang"); a lower-case one at a filler word."""
    parts = words.split()
    if parts and parts[0][0].isupper():
        kept = list(itertools.takewhile(lambda w: w[0].isupper(), parts))
    else:
        kept = list(itertools.takewhile(lambda w: w.lower() not in NAME_FILLERS, parts))
    return " ".join(kept)

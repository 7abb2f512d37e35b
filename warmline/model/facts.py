"""Facts the customer states: names, usernames, emails, phones, ids, amounts, dates, addresses,
products, and the details of their case (codes, size, colour, what they tried, how something arrived).

Deterministic: precise patterns for the store's identifiers, context from the previous agent question
for bare answers ("Joseph Banter", "99948"), and libraries where the field has one (``phonenumbers``
for phone numbers, ``dateparser`` for dates against the message time, ``nameparser`` for names in
another order; see ``case_details``). Each fact carries the seq of its source turn and the words
typed; a normal form, when there is one, goes in ``resolved``.
"""

from __future__ import annotations

import re
from datetime import datetime

from warmline.model import case_details
from warmline.model.analysis import Fact, FactKind, Speaker

EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
AMOUNT = re.compile(r"(?:\$\s?\d[\d,]*(?:\.\d{2})?|\b\d[\d,]*(?:\.\d{2})?\s?(?:dollars|usd|bucks)\b)", re.I)
ORDER_ID = re.compile(
    r"(?:order(?:\s*(?:id|number|no\.?|#))?\s*(?:is|:|#)?\s*#?)([A-Z0-9-]{5,})|#([A-Z]{0,3}\d{4,})", re.I
)
ACCOUNT_ID = re.compile(r"account\s*(?:id|number|#)?\s*(?:is|:)?\s*([A-Z0-9]{6,})", re.I)
BARE_ORDER = re.compile(r"(?<![\w@.(-])\d{10}(?![\w@.-])")
BARE_ACCOUNT = re.compile(r"\b(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{10}\b")
ZIP = re.compile(r"\b(?:(?:zip|postal|post)(?:\s*code)?\s*(?:is|:|would be|=)?\s*)?(\d{5})(?:-\d{4})?\b", re.I)
ZIP_WORDS = ("zip", "postal", "postcode", "post code")
ADDRESS = re.compile(
    r"\b\d{1,6}\s+(?:[A-Za-z0-9]+\s){0,4}(?:st|street|ave|avenue|rd|road|blvd|boulevard|dr|drive|ln|lane|way|ct|court|"
    r"pl|place|pkwy|parkway|circle|cir)\b\.?(?:,?\s+[A-Za-z ]+,\s*[A-Za-z]{2}\s+\d{5})?",
    re.I,
)
# A capitalised name word in any of the pack's languages ("María", "Łukasz", "Jean-Luc", "O'Brien").
UPPER = "".join(ch for ch in map(chr, range(0x41, 0x250)) if ch.isupper())
LOWER = "".join(ch for ch in map(chr, range(0x61, 0x250)) if ch.islower())
NAME_WORD = rf"[{UPPER}][{LOWER}]+(?:[-'’][{UPPER}]?[{LOWER}]+)*"
INTRODUCTIONS = (
    r"my name is|my name's|this is|i am|i'm|name:|full name is|"
    r"me llamo|mi nombre es|soy|je m'appelle|je suis|mon nom est|ich bin|ich heiße|mein name ist|"
    r"o meu nome é|meu nome é|me chamo|chamo-me|sou|mi chiamo|il mio nome è|sono|"
    r"ik ben|ik heet|mijn naam is|nazywam się|mam na imię|jestem"
)
NAME_INTRO = re.compile(
    rf"\b(?i:{INTRODUCTIONS})\s+(?:(?:Mr|Mrs|Ms|Miss|Mx|Dr|Sr|Sra|Mme|Frau|Herr)\.?\s+)?"
    rf"({NAME_WORD}(?:\s+{NAME_WORD}){{0,2}})"
    rf"|\b({NAME_WORD}(?:\s+{NAME_WORD})+)\s+here\b",
)
# After a question about the name: "sure, it's María José García", "Mike", "Okonkwo".
NAME_GIVEN = re.compile(
    rf"^\s*(?i:(?:sure|yes|yeah|ok|okay)[,!.]?\s+)?(?i:it's|its|it is|that's|that is)\s+"
    rf"({NAME_WORD}(?:\s+{NAME_WORD}){{0,2}})\s*[.!]?\s*$"
)
ONE_NAME = re.compile(rf"^\s*({NAME_WORD})\s*[.!]?\s*$")
# Any case, accents and hyphens: "LOPEZ MARIA", "maría lópez", "O'Connor-Hale".
ANY_NAME_WORD = r"[^\W\d_][^\W\d_]*(?:[-'’][^\W\d_]+)*"
# After a question about the name, the answer in whatever form it comes: "sure its jamal wright",
# "the name is Tan, Wei", "name on the order is maria lopez", "LOPEZ MARIA", "Maria Lopez 94107",
# "maria lopez, zip 94107" (the name, then nothing but other identifiers).
ANSWERED_NAME = re.compile(
    r"^\s*(?i:(?:sure|yes|yeah|yep|ok|okay|of course)[,!.]?\s+)?"
    r"(?i:(?:it's|its|it is|that's|that is|(?:the |my )?(?:full )?name(?: on (?:the|my) (?:order|account|card))?"
    r"(?:'s| is|:)|account holder(?: is|:)?|i'm|im|i am|this is)\s*:?\s+)?"
    rf"(?P<name>{ANY_NAME_WORD}(?:\s*,\s*{ANY_NAME_WORD}|(?:\s+{ANY_NAME_WORD}){{1,2}}))(?![\w'’-])"
    r"\s*(?:[.!]\s*$|$|(?=[,;.]?\s*(?:and\s+)?(?i:(?:my\s+)?(?:zip|postal|order|email|phone|account|#|\d|\S+@))))"
)
# Everyday words that make a short answer a sentence, not a name ("I don't know", "one sec").
NOT_NAME_WORDS = set(
    "i you we they he she me us them don't dont can't cant won't know not need want think have had got get "
    "wait sec second moment hold mind sorry same as before above already told gave said call text send sent "
    "check look find give take use used like love hate see saw with from about under order account name "
    "number zip code email phone first last full".split()
)
NOT_ONE_NAME = set(
    "great perfect done correct right exactly same nothing none nope yep yeah please hello thanks sure yes no "
    "okay ok cool nice what why how when help agent human person representative hmm wait later nevermind sorry "
    "anyway sí oui ja nee tak nie sim não".split()
)
USERNAME = re.compile(r"\b(?:user\s*name|username|user id|login)\s*(?:is|:)?\s*([a-z][a-z0-9_.]{3,})", re.I)
PIN = re.compile(r"\bpin(?:\s*(?:number|code))?\s*(?:is|:)?\s*(\d{4,6})\b", re.I)
MEMBERSHIP = re.compile(r"\b(guest|bronze|silver|gold|platinum|premium)\s+(?:member|membership|level|tier)", re.I)
BRANDS = r"(?:michael[ _]kors|calvin[ _]klein|guess|tommy[ _]hilfiger|banana[ _]republic|cedar)"
PRODUCT = re.compile(rf"\b(?:{BRANDS}\s+)?(?:jeans|boots|shirt|jacket|sweater|denim jacket)\b|\b{BRANDS}\b", re.I)
NOT_NAMES = {"sure", "yes", "no", "ok", "okay", "thanks", "thank", "hello", "hi", "hey", "not", "sorry", "good", "fine"}
BARE_NAME = re.compile(r"^\s*([A-Za-z][a-z]+(?:\s+[A-Za-z][a-z]+){1,2})\s*[.!]?\s*$")
# Without a question for context: a message that is only a capitalised name ("David Williams"), or
# starts with one followed by a comma ("Crystal Minh, Order ID: ...").
CAPITAL_NAME = re.compile(rf"^\s*({NAME_WORD}(?:\s+{NAME_WORD}){{1,2}})\s*(?:[.!]?\s*$|[,;]\s)")
# Lower-case introductions: "my name is joyce wu"; "i'm chloe zhang" only as the whole message.
LOWER_NAME_INTRO = re.compile(
    r"\b(?i:my name is|my name's|my full name is|full name is|name is|name:|me llamo|mi nombre es|je m'appelle|"
    r"mon nom est|ich heiße|mein name ist|meu nome é|me chamo|mi chiamo|il mio nome è|ik heet|mijn naam is|"
    r"nazywam się|mam na imię)\s+([a-zà-ÿąćęłńóśźż]+\s+[a-zà-ÿąćęłńóśźż]+)(?![\w'-])"
)
LOWER_NAME_ONLY = re.compile(r"^\s*(?i:i am|i'm|im|this is|it's|its)\s+([a-z]+\s+[a-z]+)\s*[.!]?\s*$")
NAME_STOPWORDS = NOT_NAMES | {
    "a",
    "an",
    "the",
    "in",
    "on",
    "at",
    "to",
    "for",
    "of",
    "and",
    "or",
    "but",
    "my",
    "your",
    "our",
    "it",
    "its",
    "this",
    "that",
    "is",
    "are",
    "am",
    "was",
    "be",
    "do",
    "does",
    "did",
    "have",
    "has",
    "can",
    "could",
    "would",
    "will",
    "what",
    "why",
    "how",
    "when",
    "where",
    "who",
    "which",
    "please",
    "great",
    "nice",
    "morning",
    "evening",
    "afternoon",
    "day",
    "night",
    "very",
    "really",
    "just",
    "still",
    "also",
    "too",
    "so",
    "all",
    "one",
    "two",
    "gold",
    "silver",
    "bronze",
    "guest",
    "platinum",
    "premium",
    "member",
    "membership",
    "transit",
    "order",
    "shirt",
    "jacket",
    "jeans",
    "boots",
    "kors",
    "klein",
    "guess",
    "hilfiger",
    "republic",
    "tommy",
    "calvin",
    "michael",
    "micheal",
    "banana",
    "cedar",
    "account",
    "email",
    "phone",
    "password",
    "username",
    "customer",
    "support",
    "service",
    "help",
    "problem",
    "issue",
    "website",
    "site",
    "app",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "here",
    "there",
    "back",
    "done",
    "ready",
    "trying",
    "looking",
    "happy",
    "glad",
    "sad",
    "upset",
    "angry",
    "frustrated",
    "confused",
    "sure",
    "new",
    "old",
    "same",
    "other",
}
# How people describe themselves after "I am" ("I am Very upset", "I'm So confused"): not names.
NAME_STOPWORDS |= set(
    "very really so just still quite upset angry happy glad confused frustrated new back done interested "
    "unhappy disappointed furious annoyed tired fed sick here".split()
)
# A lower-case handle with digits ("joycewu5", "sa495897"), read as a username.
BARE_USERNAME = re.compile(r"(?<![\w@.])(?=[a-z][a-z0-9_.]*\d)[a-z][a-z0-9_.]{4,29}(?![\w@])")
OTHER_CODE_ASKED = re.compile(r"\b(?:zip|postal|post|area|pin|security|verification|2fa)\s+code", re.I)
US_STATES = (
    "AL AK AZ AR CA CO CT DE FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ NM NY NC ND OH OK OR "
    "PA RI SC SD TN TX UT VT VA WA WV WI WY DC"
).split()
STATE_WORDS = {"in", "me", "or", "ok", "hi", "oh", "de", "la", "pa", "ma", "co", "id", "al", "mi", "ga", "mo"}
STATE_ZIP = re.compile(r"\b([A-Za-z]{2}),?\s+(\d{5})(?:-\d{4})?\b")
ONLY_ZIP = re.compile(r"^\s*(\d{5})\s*[.!]?\s*$")
LIVES_IN_ZIP = re.compile(
    r"\b(?:i )?(?:live|living|based|located|reside)\s+(?:in|at)\s+(?:zip\s+)?(\d{5})(?:-\d{4})?\b", re.I
)
ZIP_ANSWER = re.compile(
    r"^\s*(?i:(?:sure|yes|ok|okay)[,!.]?\s+)?(?i:(?:it's|its|it is|that's)\s+)?(\d{5})(?:-\d{4})?\s*[.!]?\s*$"
)
# After a question about a code: "SPRING-15", "it's welcome10" is the promo code, not a username.
CODE_ASKED = re.compile(r"\b(?:code|coupon|promo|voucher|discount)\b", re.I)
CODE_ANSWER = re.compile(
    r"^\s*(?i:(?:sure|yes|ok|okay)[,!.]?\s+)?(?i:(?:it's|its|it is|the code is|code is|i used|i tried|i entered)\s+)?"
    r"[\"']?((?=[A-Za-z0-9-]*\d)[A-Za-z][A-Za-z0-9-]{2,19}|[A-Z]{4,12})[\"']?\s*[.!]?\s*$"
)


def _is_name(words: str) -> bool:
    parts = words.lower().split()
    return all(p not in NAME_STOPWORDS and not p.endswith(("ing", "ly")) for p in parts)


def extract_facts(
    text: str,
    seq: int,
    speaker: Speaker = "customer",
    asked: str | None = None,
    sent_at: datetime | None = None,
) -> list[Fact]:
    """Facts in ``text``. ``asked`` is the previous agent/bot turn, used to read bare answers;
    ``sent_at`` the message time, against which relative dates ("3 days ago") are resolved."""
    found: list[tuple[FactKind, str, str | None]] = []
    taken: list[tuple[int, int]] = []

    def add(kind: FactKind, value: str, span: tuple[int, int] | None = None, resolved: str | None = None) -> None:
        value = value.strip().strip(".,;")
        if not value or (kind, value.lower()) in {(k, v.lower()) for k, v, _ in found}:
            return
        if span and any(span[0] < end and start < span[1] for start, end in taken):
            return
        found.append((kind, value, resolved))
        if span:
            taken.append(span)

    for match in EMAIL.finditer(text):
        add("email", match.group(), match.span())
    for phone in case_details.find_phones(text):
        add("phone", phone.value, phone.span, phone.resolved)
    for code in case_details.find_codes(text):
        add(code.kind, code.value, code.span)  # type: ignore[arg-type]
    asked_lower = (asked or "").lower()
    code_asked = bool(CODE_ASKED.search(asked_lower)) and not OTHER_CODE_ASKED.search(asked_lower)
    answered_code = CODE_ANSWER.match(text) if code_asked else None
    if answered_code:
        add("promo_code", answered_code.group(1), answered_code.span(1))
    name_asked = "name" in asked_lower and "user" not in asked_lower
    answered = ANSWERED_NAME.match(text) if name_asked else None
    if (
        answered
        and _is_name(answered.group("name").replace(",", " "))
        and not NOT_NAME_WORDS & set(answered.group("name").lower().replace(",", " ").split())
    ):
        typed = answered.group("name")
        resolved = case_details.normal_name(typed) if "," in typed else None
        if resolved is None and (typed.isupper() or typed.islower()) and len(typed.split()) > 1:
            resolved = typed.title()
        add("name", typed, answered.span("name"), resolved)
    for match in ADDRESS.finditer(text):
        add("address", match.group(), match.span())
        tail = STATE_ZIP.search(match.group())
        if tail and tail.group(1).upper() in US_STATES:
            add("zip_code", tail.group(2))  # a zip inside a full address is asked for on its own too
    for match in ACCOUNT_ID.finditer(text):
        if any(ch.isdigit() for ch in match.group(1)):
            add("account_id", match.group(1), match.span(1))
    for match in ORDER_ID.finditer(text):
        value = match.group(1) or match.group(2)
        if value and any(ch.isdigit() for ch in value):
            add("order_id", value, match.span(1) if match.group(1) else match.span(2))
    for match in PIN.finditer(text):
        add("pin", match.group(1), match.span(1))
    for match in USERNAME.finditer(text):
        add("username", match.group(1), match.span(1))
    for match in AMOUNT.finditer(text):
        add("amount", match.group(), match.span())
    for date in case_details.find_dates(text, sent_at):
        add("date", date.value, date.span, date.resolved)
    for match in BARE_ORDER.finditer(text):
        add("order_id", match.group(), match.span())
    for match in BARE_ACCOUNT.finditer(text):
        add("account_id", match.group(), match.span())
    for match in ZIP.finditer(text):
        said = match.group().lower().startswith(ZIP_WORDS) or any(w in text.lower() for w in ZIP_WORDS)
        if said or any(word in asked_lower for word in ZIP_WORDS):
            add("zip_code", match.group(1), match.span(1))
    for match in STATE_ZIP.finditer(text):
        state = match.group(1)
        if state.upper() in US_STATES and (state.isupper() or state.lower() not in STATE_WORDS):
            add("zip_code", match.group(2), match.span(2))
    only_zip = ONLY_ZIP.match(text)
    if only_zip and "pin" not in asked_lower:
        add("zip_code", only_zip.group(1), only_zip.span(1))
    for match in LIVES_IN_ZIP.finditer(text):
        add("zip_code", match.group(1), match.span(1))
    zip_answer = ZIP_ANSWER.match(text)
    if zip_answer and any(word in asked_lower for word in ZIP_WORDS):
        add("zip_code", zip_answer.group(1), zip_answer.span(1))
    if "order id" not in asked_lower:
        for match in BARE_USERNAME.finditer(text):
            is_account = "account id" in asked_lower and len(match.group()) == 10 and "username" not in asked_lower
            add("account_id" if is_account else "username", match.group(), match.span())
    for typed in case_details.find_names(text):
        if _is_name((typed.resolved or typed.value).replace(",", " ")):
            add("name", typed.value, typed.span, typed.resolved)
    for match in NAME_INTRO.finditer(text):
        name = match.group(1) or match.group(2)
        if name and name.split()[0].lower() not in NOT_NAMES and _is_name(name):
            add("name", name, match.span())
    for pattern in (CAPITAL_NAME, LOWER_NAME_INTRO, LOWER_NAME_ONLY):
        for match in pattern.finditer(text):
            if _is_name(match.group(1)):
                add("name", match.group(1), match.span(1))
    bare = BARE_NAME.match(text)
    if bare and "name" in asked_lower and _is_name(bare.group(1)):
        add("name", bare.group(1).title(), bare.span(1))
    if "name" in asked_lower and "user" not in asked_lower:
        given = NAME_GIVEN.match(text)
        if given and _is_name(given.group(1)):
            add("name", given.group(1), given.span(1))
        one = ONE_NAME.match(text)
        if one and one.group(1).lower() not in NOT_ONE_NAME | NAME_STOPWORDS:
            add("name", one.group(1), one.span(1))
    if "username" in asked_lower or "user name" in asked_lower:
        token = re.fullmatch(r"\s*([a-z][a-z0-9_.]{3,})\s*", text)
        if token and token.group(1).lower() not in NAME_STOPWORDS:
            add("username", token.group(1))
    if "member" in asked_lower:
        level = re.fullmatch(
            r"\s*(?i:(?:i'm |i am |it's |its )?(?:a |an )?)?(guest|bronze|silver|gold|platinum|premium)\s*[.!]?\s*",
            text,
            re.I,
        )
        if level:
            add("membership", level.group(1).lower(), level.span(1))
    for match in MEMBERSHIP.finditer(text):
        add("membership", match.group(1).lower(), match.span())
    for match in PRODUCT.finditer(text):
        add("product", match.group().replace("_", " "), match.span())
    for detail in (
        *case_details.find_product_details(text),
        *case_details.find_tried(text, asked),
        *case_details.find_received_via(text),
    ):
        # a clause such as "I checked the whole box" may hold other facts: it takes no span
        span = None if detail.kind in ("tried", "received_via") else detail.span
        add(detail.kind, detail.value, span, detail.resolved)  # type: ignore[arg-type]
    return [
        Fact(kind=kind, value=value, source_seq=seq, speaker=speaker, resolved=resolved)
        for kind, value, resolved in found
    ]


# Words around identifiers in an answer ("it's 3358104972 under my husband David Kim", "first name is
# Ana, last name Souza", "sure, zip is 94107 and the order is #AB44102").
ANSWER_FILLERS = set(
    "a an and the it it's its is my our his her their this that's here sure yes yeah yep ok okay of course "
    "please pls thanks thank you under in name first last full surname zip postal post code order number no "
    "id account email e-mail phone mobile cell user username login on file was would be should husband wife "
    "partner mom mum dad mother father son daughter sister brother boss company i i'm im am me member level tier "
    "status".split()
)
IDENTIFYING_KINDS: frozenset[FactKind] = frozenset(
    {
        "name",
        "username",
        "email",
        "phone",
        "order_id",
        "account_id",
        "zip_code",
        "pin",
        "promo_code",
        "gift_card",
        "membership",
    }
)


def is_bare_answer(text: str, facts: list[Fact]) -> bool:
    """Whether ``text`` is only identifiers and the filler words around them: an answer to a
    question for details, which says nothing about the customer's need."""
    values = [f.value for f in facts if f.kind in IDENTIFYING_KINDS]
    if not values:
        return False
    rest = text.lower()
    for value in sorted(values, key=len, reverse=True):
        rest = rest.replace(value.lower(), " ")
    words = re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", rest)
    return all(word in ANSWER_FILLERS for word in words)


def merge_facts(known: list[Fact], new: list[Fact]) -> list[Fact]:
    """Known facts plus new ones, without duplicates (same kind and value)."""
    seen = {(f.kind, f.value.lower()) for f in known}
    return [*known, *[f for f in new if (f.kind, f.value.lower()) not in seen]]

"""Facts the customer states: names, usernames, emails, phones, ids, amounts, dates, addresses, products.

Rule-based and deterministic (precise patterns; context from the previous agent question resolves
bare answers like "Joseph Banter" or "99948"). Each fact carries the seq of its source turn.
"""

from __future__ import annotations

import re

from warmline.model.analysis import Fact, FactKind, Speaker

EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
PHONE = re.compile(r"(?<!\w)(?:\+?1[\s.-]?)?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]\d{4}(?!\w)")
AMOUNT = re.compile(r"(?:\$\s?\d[\d,]*(?:\.\d{2})?|\b\d[\d,]*(?:\.\d{2})?\s?(?:dollars|usd|bucks)\b)", re.I)
ORDER_ID = re.compile(
    r"(?:order(?:\s*(?:id|number|no\.?|#))?\s*(?:is|:|#)?\s*#?)([A-Z0-9-]{5,})|#([A-Z]{0,3}\d{4,})", re.I
)
ACCOUNT_ID = re.compile(r"account\s*(?:id|number|#)?\s*(?:is|:)?\s*([A-Z0-9]{6,})", re.I)
BARE_ORDER = re.compile(r"(?<![\w@.(-])\d{10}(?![\w@.-])")
BARE_ACCOUNT = re.compile(r"\b(?=[A-Z0-9]*\d)(?=[A-Z0-9]*[A-Z])[A-Z0-9]{10}\b")
ZIP = re.compile(r"\b(?:zip(?:\s*code)?\s*(?:is|:)?\s*)?(\d{5})(?:-\d{4})?\b", re.I)
DATE = re.compile(
    r"\b(?:\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}(?:/\d{2,4})?|"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d{1,2}(?:st|nd|rd|th)?(?:,?\s+\d{4})?|"
    r"\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*(?:\s+\d{4})?|"
    r"yesterday|today|tomorrow|last (?:week|month|monday|tuesday|wednesday|thursday|friday|saturday|sunday))\b",
    re.I,
)
ADDRESS = re.compile(
    r"\b\d{1,6}\s+(?:[A-Za-z0-9]+\s){0,4}(?:st|street|ave|avenue|rd|road|blvd|boulevard|dr|drive|ln|lane|way|ct|court|"
    r"pl|place|pkwy|parkway|circle|cir)\b\.?(?:,?\s+[A-Za-z ]+,\s*[A-Za-z]{2}\s+\d{5})?",
    re.I,
)
NAME_INTRO = re.compile(
    r"\b(?i:my name is|my name's|this is|i am|i'm|name:|full name is)\s+([A-Z][a-z]+(?:\s+[A-Z][a-z]+){0,2})"
    r"|\b([A-Z][a-z]+(?:\s+[A-Z][a-z]+)+)\s+here\b",
)
USERNAME = re.compile(r"\b(?:user\s*name|username|user id|login)\s*(?:is|:)?\s*([a-z][a-z0-9_.]{3,})", re.I)
PIN = re.compile(r"\bpin(?:\s*(?:number|code))?\s*(?:is|:)?\s*(\d{4,6})\b", re.I)
MEMBERSHIP = re.compile(r"\b(guest|bronze|silver|gold|platinum|premium)\s+(?:member|membership|level|tier)", re.I)
BRANDS = r"(?:michael[ _]kors|calvin[ _]klein|guess|tommy[ _]hilfiger|banana[ _]republic|cedar)"
PRODUCT = re.compile(rf"\b(?:{BRANDS}\s+)?(?:jeans|boots|shirt|jacket|sweater|denim jacket)\b|\b{BRANDS}\b", re.I)
NOT_NAMES = {"sure", "yes", "no", "ok", "okay", "thanks", "thank", "hello", "hi", "hey", "not", "sorry", "good", "fine"}
BARE_NAME = re.compile(r"^\s*([A-Za-z][a-z]+(?:\s+[A-Za-z][a-z]+){1,2})\s*[.!]?\s*$")


def extract_facts(text: str, seq: int, speaker: Speaker = "customer", asked: str | None = None) -> list[Fact]:
    """Facts in ``text``. ``asked`` is the previous agent/bot turn, used to read bare answers."""
    found: list[tuple[FactKind, str]] = []
    taken: list[tuple[int, int]] = []

    def add(kind: FactKind, value: str, span: tuple[int, int] | None = None) -> None:
        value = value.strip().strip(".,;")
        if not value or (kind, value.lower()) in {(k, v.lower()) for k, v in found}:
            return
        if span and any(span[0] < end and start < span[1] for start, end in taken):
            return
        found.append((kind, value))
        if span:
            taken.append(span)

    for match in EMAIL.finditer(text):
        add("email", match.group(), match.span())
    for match in PHONE.finditer(text):
        add("phone", match.group(), match.span())
    for match in ADDRESS.finditer(text):
        add("address", match.group(), match.span())
    for match in ACCOUNT_ID.finditer(text):
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
    for match in DATE.finditer(text):
        add("date", match.group(), match.span())
    asked_lower = (asked or "").lower()
    for match in BARE_ORDER.finditer(text):
        add("order_id", match.group(), match.span())
    for match in BARE_ACCOUNT.finditer(text):
        add("account_id", match.group(), match.span())
    for match in ZIP.finditer(text):
        if match.group().lower().startswith("zip") or "zip" in asked_lower:
            add("zip_code", match.group(1), match.span(1))
    for match in NAME_INTRO.finditer(text):
        name = match.group(1) or match.group(2)
        if name and name.split()[0].lower() not in NOT_NAMES:
            add("name", name, match.span())
    bare = BARE_NAME.match(text)
    if bare and "name" in asked_lower and bare.group(1).split()[0].lower() not in NOT_NAMES:
        add("name", bare.group(1).title(), bare.span(1))
    if "username" in asked_lower or "user name" in asked_lower:
        token = re.fullmatch(r"\s*([a-z][a-z0-9_.]{3,})\s*", text)
        if token:
            add("username", token.group(1))
    for match in MEMBERSHIP.finditer(text):
        add("membership", match.group(1).lower(), match.span())
    for match in PRODUCT.finditer(text):
        add("product", match.group().replace("_", " "), match.span())
    return [Fact(kind=kind, value=value, source_seq=seq, speaker=speaker) for kind, value in found]


def merge_facts(known: list[Fact], new: list[Fact]) -> list[Fact]:
    """Known facts plus new ones, without duplicates (same kind and value)."""
    seen = {(f.kind, f.value.lower()) for f in known}
    return [*known, *[f for f in new if (f.kind, f.value.lower()) not in seen]]

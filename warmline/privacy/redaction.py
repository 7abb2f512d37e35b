"""Card numbers, card security codes and one-time codes masked out of what people type.

Customers paste them into chats ("my card is 4111 1111 1111 1111, cvv 123", "the code you sent
is 482 913"). Warmline never needs them: it hands off, it does not take payments or check codes.
So the text is masked before it is analysed or stored, and every event field that holds typed
text masks again when it is read (:data:`RedactedText`), so that records written before masking
existed are shown, handed off and sent to desks masked too.

- A card number is 13 to 19 digits, spaces or dashes allowed between them, that passes the Luhn
  check and starts like a card network's number (2221-2720, 30, 34-39, 4, 5, 6). It becomes
  ``[card ending 1111]``: agents may still say which card they mean.
- A security code is 3 or 4 digits after "cvv", "cvc", "security code" and their kin (a few
  languages); a one-time code is 4 to 8 digits (one space or dash allowed) after "one-time
  code", "verification code", "OTP", "2FA code", "PIN" and kin, or after "the code you sent".
  The digits become ``•``; the words stay, so the topic (a login problem) is still understood.

Masking is idempotent and costs one regular-expression search for text with fewer than three
digits in a row.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

# Cheap tests first, so that a message with an order number or a date costs about 2 microseconds:
# three digits (a space or dash allowed between them) for anything; 13 for a card; a stem of the
# words (in the lowered text) for a code. None has a look-behind: that makes a search several
# times slower.
_DIGITS = re.compile(r"[0-9][ \-]?[0-9][ \-]?[0-9]")
_LONG_RUN = re.compile(r"[0-9][0-9 \-]{11,}[0-9]")
_CODE_STEMS = re.compile(
    r"c(?:v[vcn]|id|sc|ode|odice|rypto)|digo|otp|pin|one[\s-]*time|pass|secur|sicher|pr[üu]f|2fa|mfa|factor|einmal"
    r"|digit"
)

# A run of digits with single spaces or dashes between them, not glued to a word or a "+" (an
# international phone number) and not part of a longer number.
_NUMBER_RUN = re.compile(r"(?<![\w+])\d(?:[ \-]?\d){12,}+")
_GROUP = re.compile(r"\d+")

_SECURITY_WORDS = (
    r"cvv2?|cvc2?|cvn|cid|csc|card\s+(?:security|verification)\s+(?:code|value|number)"
    r"|security\s+(?:code|number|digits)|(?:three|3|four|4)[- ]digits?\s+(?:code\s+)?on\s+the\s+back"
    r"|c[oó]digo\s+de\s+seguridad|cryptogramme(?:\s+visuel)?|code\s+de\s+s[ée]curit[ée]"
    r"|sicherheitscode|kartenpr[üu]fnummer|pr[üu]fziffer|codice\s+di\s+sicurezza"
    r"|c[oó]digo\s+de\s+seguran[çc]a"
)
_ONE_TIME_WORDS = (
    r"otp|one[\s-]*time\s*(?:passcode|password|code|pin|pass)|passcode|pin(?:\s+(?:code|number))?"
    r"|(?:verification|verify|confirmation|authentication|authorization|auth|access|login|log[\s-]?in"
    r"|sign[\s-]?in|security|sms|text|2fa|mfa|two[\s-]*factor|reset)\s+(?:code|pin)"
    r"|code\s+(?:that\s+|which\s+)?(?:you|u|they|y'all|your\s+\w+)\s+(?:just\s+)?(?:sent|texted|emailed|gave)(?:\s+me)?"
    r"|c[oó]digo\s+de\s+(?:verificaci[oó]n|confirmaci[oó]n|acceso|verifica[çc][ãa]o|confirma[çc][ãa]o)"
    r"|code\s+(?:de\s+(?:v[ée]rification|confirmation)|à\s+usage\s+unique)"
    r"|best[äa]tigungscode|verifizierungscode|einmalcode|einmalpasswort|codice\s+di\s+(?:verifica|conferma)"
)
# The words, then a few words or punctuation ("is", ": ", "was just", "=", "number"), then the code.
_FILLER = r"(?:[^\w\n]{0,3}(?:is|was|are|it's|its|number|no|num|code|just|now|es|est|ist|é)\b){0,3}[^\w\n]{0,3}"
_SECURITY_CODE = re.compile(
    rf"(?<!\w)(?P<words>(?:{_SECURITY_WORDS}){_FILLER})(?P<code>\d{{3,4}})(?![\w])", re.IGNORECASE
)
_ONE_TIME_CODE = re.compile(
    rf"(?<!\w)(?P<words>(?:{_ONE_TIME_WORDS}){_FILLER})(?P<code>\d(?:[ \-]?\d){{3,7}})(?![\w])", re.IGNORECASE
)

_NETWORK_PREFIX = re.compile(r"(?:222[1-9]|22[3-9]\d|2[3-6]\d\d|27[01]\d|2720|30|3[4-9]|4|5|6)")
DOT = "•"


def redact(text: str) -> str:
    """``text`` with card numbers, security codes and one-time codes masked."""
    if _DIGITS.search(text) is None:
        return text
    if _LONG_RUN.search(text) is not None:
        text = _NUMBER_RUN.sub(_mask_cards, text)
    if _CODE_STEMS.search(text.lower()) is not None:
        text = _SECURITY_CODE.sub(_mask_code, text)
        text = _ONE_TIME_CODE.sub(_mask_code, text)
    return text


def is_card_number(digits: str) -> bool:
    """13-19 digits starting like a card network's number and passing the Luhn check."""
    return 13 <= len(digits) <= 19 and _NETWORK_PREFIX.match(digits) is not None and _luhn(digits)


def _luhn(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = ord(char) - 48
        if position % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _mask_cards(found: re.Match[str]) -> str:
    """The run with each card number in it masked. A run can hold more than a card ("call 555
    1234 4111 1111 1111 1111"): the card is the longest span of whole digit groups that is one."""
    run = found.group()
    groups = [(g.start(), g.end()) for g in _GROUP.finditer(run)]
    after = found.string[found.end() : found.end() + 1]
    if after.isalnum() or after == "_":
        groups.pop()  # glued to a word ("4111...1111abc"): that group is not a number of its own
    pieces: list[str] = []
    cursor = 0
    first = 0
    while first < len(groups):
        span = _card_span(run, groups, first)
        if span is None:
            first += 1
            continue
        last = span
        start, end = groups[first][0], groups[last][1]
        digits = "".join(run[s:e] for s, e in groups[first : last + 1])
        pieces.append(run[cursor:start])
        pieces.append(f"[card ending {digits[-4:]}]")
        cursor = end
        first = last + 1
    if not pieces:
        return run
    pieces.append(run[cursor:])
    return "".join(pieces)


def _card_span(run: str, groups: list[tuple[int, int]], first: int) -> int | None:
    """The index of the last group of the longest card number starting at group ``first``."""
    digits = ""
    best: int | None = None
    for index in range(first, len(groups)):
        start, end = groups[index]
        digits += run[start:end]
        if len(digits) > 19:
            break
        if is_card_number(digits):
            best = index
    return best


def _mask_code(found: re.Match[str]) -> str:
    code = found.group("code")
    return found.group("words") + re.sub(r"\d", DOT, code)


# An event or payload field that holds text someone typed: masked when stored and when read.
RedactedText = Annotated[str, AfterValidator(redact)]

"""Out of scope: the signal model's ``out_of_scope`` head decides (``warmline.model.signals``,
trained on CLINC150's other domains and its out-of-scope examples, NLU++ hotel and bank
requests and out-of-scope questions written in eight languages, against the store's own
requests in the same languages); this module is its one narrow backstop.

Requests about another company's service ("my Netflix password", "is my Amazon package
coming?") are out of scope however close their words are to the store's: both the encoder and
the n-grams hear "password" or "package" and not whose.

A mention alone is not enough: "Walmart sells these boots cheaper" is a price-match request and
"I paid with PayPal" a payment detail. Only a company named as the owner of the thing asked
about (an account, order, package, subscription, app...) marks the turn.
"""

from __future__ import annotations

import re

# Consumer services a clothing store's customers also use. Carriers, banks and payment
# providers are left out on purpose: they take part in the store's own orders and refunds.
OTHER_SERVICES = (
    "amazon",
    "prime video",
    "netflix",
    "spotify",
    "hulu",
    "disney\\+?",
    "hbo(?: max)?",
    "youtube",
    "apple music",
    "icloud",
    "itunes",
    "gmail",
    "hotmail",
    "outlook",
    "yahoo",
    "facebook",
    "instagram",
    "whatsapp",
    "tiktok",
    "twitter",
    "snapchat",
    "linkedin",
    "uber(?: ?eats)?",
    "lyft",
    "doordash",
    "grubhub",
    "instacart",
    "airbnb",
    "booking\\.com",
    "expedia",
    "ebay",
    "etsy",
    "temu",
    "shein",
    "aliexpress",
    "xbox",
    "playstation",
    "steam",
    "nintendo",
    "comcast",
    "xfinity",
    "verizon",
    "at&t",
    "t-mobile",
    "planet fitness",
    "peloton",
    "duolingo",
    "zoom",
    "dropbox",
)
OWNED_THINGS = (
    "account",
    "accounts",
    "password",
    "login",
    "log-in",
    "order",
    "orders",
    "package",
    "parcel",
    "delivery",
    "subscription",
    "membership",
    "premium",
    "plan",
    "app",
    "profile",
    "playlist",
    "ride",
    "driver",
    "reservation",
    "booking",
    "bill",
    "gift card",
    "prime",
    "seller",
    "refund",
    "return",
    "cart",
    "wishlist",
    "feed",
    "stream",
    "show",
    "game",
    "console",
    "phone plan",
    "internet",
)
_service = "|".join(OTHER_SERVICES)
_thing = "|".join(re.escape(t) for t in OWNED_THINGS)
# "my Netflix password", "the Amazon package", "an Uber ride", "Spotify premium"
OWNER = re.compile(rf"\b(?:{_service})(?:'s)?\s+(?:\w+\s+)?(?:{_thing})\b", re.IGNORECASE)
# "sign up for Spotify", "cancel Hulu", "log into Instagram", "on Netflix", "from eBay"
VERB = re.compile(
    rf"\b(?:sign up for|subscribe to|cancel|unsubscribe from|log ?in(?:to)?|sign in(?:to)?|watch|stream|"
    rf"ordered from|bought from|ordered on|bought on) (?:my )?(?:{_service})\b"
    rf"(?! (?:sells?|has|had|offers?|lists?|is cheaper))",
    re.IGNORECASE,
)

# "my membership at Planet Fitness", "an order with Temu"
THING_AT = re.compile(rf"\b(?:{_thing})\s+(?:at|with|from)\s+(?:{_service})\b", re.IGNORECASE)


def other_company_request(text: str) -> str | None:
    """The company whose service the message asks about, or None."""
    match = OWNER.search(text) or VERB.search(text) or THING_AT.search(text)
    if match is None:
        return None
    company = re.search(rf"(?:{_service})", match.group(0), re.IGNORECASE)
    return company.group(0) if company else None

"""Which language a customer writes in, from the everyday words of the languages the store serves
most: enough to answer in it, never a guess from one word or from names and order numbers."""

from __future__ import annotations

import re
from collections.abc import Sequence

from warmline.shop.topics import folded

# Short function words that are common in one language and rare in the others (accents folded).
WORDS: dict[str, frozenset[str]] = {
    lang: frozenset(words.split())
    for lang, words in {
        "en": "the is are my i you what how when where can do does did have has with for and of to it this "
        "that was not please thanks order",
        "es": "el la los las es mi mis yo que como cuando donde puedo tengo un una por para con del al pero "
        "hola gracias pedido cuanto cuanta esta estan quiero hasta",
        "fr": "le la les est mon ma mes je vous que comment quand ou puis ai un une pour avec des du au mais "
        "bonjour merci commande combien c'est j'ai n'ai pas",
        "de": "der die das ist mein meine ich sie wie wann wo kann habe ein eine fur mit den dem und aber "
        "hallo danke bestellung wurden warum nicht welche welcher welches bei auf",
        "it": "il lo la gli le e mio mia io che come quando dove posso ho un una per con del della ma ciao "
        "grazie ordine quanto sono",
        "pt": "o a os as e meu minha eu que como quando onde posso tenho um uma por para com do da mas ola "
        "obrigado obrigada pedido quanto custa nao",
        "nl": "de het een is mijn ik je wat hoe wanneer waar kan heb voor met van en maar hallo bedankt "
        "bestelling hoeveel niet kost jaar wordt kun graag",
        # Polish words without "ł" (the tokens are ASCII letters once accents are folded).
        "pl": "jest moje moja moj mam czy gdzie kiedy jak mozna moge prosze dziekuje zamowienie zamowienia "
        "zamowieniu paczka paczke paczki ile kosztuje jestem chce dlaczego juz przez ktory ktora dzien dobry "
        "czesc zwrot zwrotu jeszcze mnie moim",
    }.items()
}
MIN_HITS = 2


def language_of(text: str) -> str | None:
    """The language ``text`` is written in ("en", "es", ...), or None when it says too little."""
    tokens = re.findall(r"[a-z']+", folded(text))
    hits = {lang: sum(1 for t in tokens if t in words) for lang, words in WORDS.items()}
    hits["es"] += text.count("¿") + text.count("¡")  # only Spanish opens a question or a cry
    best = max(hits, key=lambda lang: hits[lang])
    if hits[best] < MIN_HITS or list(hits.values()).count(hits[best]) > 1:
        return None
    return best


def conversation_language(texts: Sequence[str]) -> str:
    """The language of the customer's latest turn that shows one; English when none does."""
    for text in reversed(texts):
        found = language_of(text)
        if found is not None:
            return found
    return "en"

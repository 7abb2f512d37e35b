"""Does the customer ask for a person? A fast, multilingual, typo-tolerant detector.

``human_request_score(text) -> (score, cues)`` with the score in [0, 1] (>= 0.5 means an explicit
request) and the evidence as short cue strings. No I/O per call; typo correction is cached.

How it decides (in token space, after lower-casing, accent stripping and expanding "n't"):

1. Compounds that merely *contain* a person word are blanked first: "human resources",
   "delivery agent", "travel agent", "real estate agent", "human error", ...
2. Tokens that are one edit away from a key word (two for long words; Damerau/OSA distance from
   rapidfuzz) are corrected: "huamn", "agnet", "persn", "reprsentative".
3. A request is a *request cue* ("talk", "speak", "connect", "want", "need", "hablar", "parler",
   "sprechen", "falar", "parlare", "spreken", ...) followed by a *person word* ("human", "agent",
   "representative", "someone", "persona", "conseiller", "Mitarbeiter", "atendente", "operatore",
   "medewerker", ...) with only filler words in between ("to a real", "mit einem", "con un").
   German/Dutch word order (person word, then "sprechen"/"spreken") is accepted too.
4. A clause made only of a person word and fillers ("AGENT!!", "agent please", "representative",
   "real person now") is a request.
5. Asking for a phone call ("can I call you", "a number I can call", "call me back") is a request
   for a person on another channel.
6. A negation shortly before the cue ("I don't want to talk to anyone", "no quiero", "je ne veux
   pas", "nicht", "sin", "without") cancels it.

Deliberately *not* requests (score < 0.5):
- mentions in the past or third person without a request cue: "your agent said my package was
  shipped", "customer service told me ...", "a person at the store told me ...";
- "is this a person or a bot?" / "are you human?": a question about the channel, not a request
  to change it (scored 0.3, cue ``asks_if_human``); if the customer then asks for a person, that
  turn fires. This keeps "is this a bot? ok, where's my order" with the bot.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

from rapidfuzz.distance import OSA

EXPLICIT = 0.95  # a request cue + a strong person word, or a bare "agent please"
WEAK_PERSON = 0.85  # a request cue + "someone"/"anyone"/"customer service"
PHONE = 0.8  # asks to call or be called
ESCALATE_ONLY = 0.75  # "please escalate this"
CHANNEL_QUESTION = 0.3  # "is this a bot?": recorded, never escalates on its own

PERSON_STRONG = frozenset(
    # en
    "human humans hooman humain agent agents representative representatives rep reps operator operators "
    "person people supervisor manager staff employee associate advisor adviser specialist"
    # es
    " persona personas agente agentes humano humana asesor asesora representante operador operadora ejecutivo"
    " encargado supervisora"
    # fr
    " conseiller conseillere humain humaine personne operateur operatrice interlocuteur responsable"
    # de
    " mitarbeiter mitarbeiterin mensch menschen berater beraterin kundenberater agenten sachbearbeiter"
    # pt
    " atendente pessoa consultor"
    # it
    " operatore umano consulente addetto"
    # nl
    " medewerker persoon".split()
)
PERSON_WEAK = frozenset(
    "someone somebody anyone anybody alguien quelqu jemandem jemanden jemand alguem qualcuno iemand "
    "kundendienst kundenservice klantenservice".split()
)
# Two-word person phrases, folded into one token before matching.
PERSON_PHRASES = {
    ("customer", "service"): "customer_service",
    ("customer", "support"): "customer_service",
    ("customer", "care"): "customer_service",
    ("support", "team"): "customer_service",
    ("live", "chat"): "customer_service",
    ("servicio", "cliente"): "customer_service",
    ("service", "client"): "customer_service",
    ("service", "clients"): "customer_service",
    ("servizio", "clienti"): "customer_service",
    ("atendimento", "humano"): "human",
    ("atencion", "humana"): "human",
    ("real", "one"): "human",
}
# Compounds that contain a person word but are not a person to talk to (blanked before matching).
NOT_A_PERSON = (
    ("human", "resources"),
    ("human", "resource"),
    ("human", "error"),
    ("human", "rights"),
    ("human", "nature"),
    ("human", "hair"),
    ("recursos", "humanos"),
    ("ressources", "humaines"),
    ("delivery", "agent"),
    ("delivery", "person"),
    ("delivery", "guy"),
    ("travel", "agent"),
    ("estate", "agent"),
    ("insurance", "agent"),
    ("shipping", "agent"),
    ("booking", "agent"),
    ("sales", "person"),
    ("account", "manager"),
    ("store", "manager"),
    ("project", "manager"),
    ("password", "manager"),
    ("my", "manager"),
    ("per", "person"),
    ("a", "person", "at", "the", "store"),
)
EN_CUES = (
    "talk talking speak speaking chat chatting connect connecting transfer transferring escalate reach "
    "contact get give want wanna need request prefer let bring put like gimme there any where"
)
CUES = frozenset(
    (
        EN_CUES + " hablar quiero quisiera necesito comunicarme pasame pasar comunicar contactar hay conectar "
        "transferir atienda parler veux voudrais besoin joindre contacter passer passez mettre mettez avoir "
        "souhaite souhaiterais sprechen reden mochte will brauche verbinden verbunden haben kann gibt hatte "
        "falar quero preciso gostaria conversar tem parlare voglio vorrei passarmi spreken praten wil graag "
        "mag doorverbinden"
    ).split()
)
# Verbs that may follow the person word (German/Dutch/Portuguese word order).
TRAILING_VERBS = frozenset("sprechen reden verbinden verbunden spreken praten".split())
FILLERS = frozenset(
    (
        "to with a an the real live actual actually your one of me speak talk chat some from please pls plz "
        "just now directly over through i can could again right away human proper you there here this "
        "honest would be able customer service support company acme acmebrands team member members who "
        "is are someone somebody let get talk speaking talking on phone asap immediately w u ur ya really "
        # es/fr/de/pt/it/nl articles, prepositions, politeness
        "con un una unos alguna real verdadera verdadero por favor de del a avec une vrai vraie en relation "
        "directement moi je yo mit einem einer einen echten richtigen mal ich zu bitte gerne gern com um uma "
        "falar hablar parler sprechen parlare con il lo la un uno una vero vera met een echte mij graag ik "
        "el al que me mi se es si il y ai"
    ).split()
)
NEGATORS = frozenset(
    "not no never dont without nobody ne pas nicht kein keine keinen ohne nao sem non niet geen zonder sin".split()
)
# A word that often appears right after a person word when the customer reports what happened.
REPORTING = frozenset("said told says tells mentioned promised confirmed gave sent helped hung dijo a hat".split())

# Vocabulary for typo correction (only these words are ever corrected to).
_TYPO_TARGETS = tuple(
    sorted(
        {
            "human",
            "humans",
            "agent",
            "agents",
            "representative",
            "operator",
            "person",
            "someone",
            "somebody",
            "supervisor",
            "manager",
            "talk",
            "speak",
            "please",
            "persona",
            "agente",
            "humano",
            "conseiller",
            "mitarbeiter",
            "atendente",
            "operatore",
            "medewerker",
        }
    )
)
_KNOWN = frozenset(PERSON_STRONG | PERSON_WEAK | CUES | FILLERS | NEGATORS)
_SPLIT = re.compile(r"[^\w]+")
_CLAUSE = re.compile(r"[.!?;,\n]+")
_NOT = re.compile(r"n't\b|n’t\b")
_DONT = re.compile(r"\b(?:dont|cant|wont|doesnt|didnt|wouldnt|couldnt|shouldnt)\b")

_PHONE = re.compile(
    r"\b(?:(?:can|could|may) (?:i|we) (?:call|phone|ring)(?: you| someone| somebody| your| customer| the| a)?\b"
    r"|(?:is there|do you have|what is|whats|give me|can i get|can i have|need|send me) (?:a |an |the |your |any )?"
    r"(?:phone|telephone|contact|support|customer service|hotline) (?:number|line)\b"
    r"|(?:call|ring|phone) me(?: back)?\b"
    r"|(?:give|get) me a (?:call|ring)\b"
    r"|(?:talk|speak) (?:on|over|by) the phone\b"
    r"|callback|call back\b"
    r"|number (?:i|we) can call\b"
    r"|llamar(?:les|los|me)?\b|llamenme|appeler|appelez|anrufen|rufen sie mich|ligar|telefonare|chiamare|bellen)"
)
_PHONE_NOT = re.compile(r"\b(?:update|change|add|remove|edit|new|my) (?:phone|telephone|contact) number\b")
_CHANNEL_QUESTION = re.compile(
    r"\b(?:are you|is this|am i (?:talking|chatting|speaking) (?:to|with)) (?:a |an )?(?:real |actual )?"
    r"(?:human|person|bot|robot|ai|machine|computer)\b|\beres (?:un )?(?:bot|humano|robot)\b"
)
_ESCALATE = re.compile(r"\bescalate (?:this|it|my|the|me)\b")


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = _NOT.sub(" not", text).replace("’", "'")
    return _DONT.sub(" not", text)


@lru_cache(maxsize=65536)
def _correct(token: str) -> str:
    """The key word a token is a typo of, or the token itself."""
    if len(token) < 4 or token in _KNOWN or token.isdigit():
        return token
    limit = 1 if len(token) <= 7 else 2
    best, best_distance = token, limit + 1
    for target in _TYPO_TARGETS:
        if abs(len(target) - len(token)) > limit:
            continue
        distance = OSA.distance(token, target, score_cutoff=limit)
        if distance < best_distance:
            best, best_distance = target, distance
    return best


def _tokens(clause: str, cues: list[str]) -> list[str]:
    raw = [t for t in _SPLIT.split(clause) if t]
    words: list[str] = []
    for token in raw:
        fixed = _correct(token)
        if fixed != token:
            cues.append(f"typo:{token}->{fixed}")
        words.append(fixed)
    # Blank compounds that are not a person to talk to, then fold two-word person phrases.
    for compound in NOT_A_PERSON:
        n = len(compound)
        for i in range(len(words) - n + 1):
            if tuple(words[i : i + n]) == compound:
                words[i : i + n] = ["_"] * n
    folded: list[str] = []
    i = 0
    while i < len(words):
        pair = tuple(words[i : i + 2])
        if len(pair) == 2 and pair in PERSON_PHRASES:
            folded.append(PERSON_PHRASES[pair])
            i += 2
        else:
            folded.append(words[i])
            i += 1
    return folded


def _is_person(token: str) -> float:
    if token in PERSON_STRONG or token == "human":
        return EXPLICIT
    if token in PERSON_WEAK or token == "customer_service":
        return WEAK_PERSON
    return 0.0


def _negated(words: list[str], start: int) -> bool:
    """A negation right before ``start`` ("don't want", "no quiero", "je ne veux", "rather not")."""
    return any(w in NEGATORS for w in words[max(0, start - 2) : start])


def _chain_negated(words: list[str], cue: int) -> bool:
    """Walk back over the run of cues and fillers that leads to the person word; a negation
    right before the run cancels it ("I do not want to talk to anyone")."""
    start = cue
    while start > 0 and cue - start < 7 and (words[start - 1] in CUES or words[start - 1] in FILLERS):
        start -= 1
    return start > 0 and words[start - 1] in NEGATORS


def _clause_score(words: list[str], channel_question: bool = False) -> tuple[float, str]:
    best, why = 0.0, ""
    content = [w for w in words if w not in FILLERS and w != "_" and not _is_person(w)]
    for i, word in enumerate(words):
        weight = _is_person(word)
        if not weight:
            continue
        if i + 1 < len(words) and words[i + 1] in REPORTING:
            continue  # "your agent said ..."
        # A cue before the person word with only fillers between.
        j = i - 1
        while j >= 0 and i - j <= 7 and words[j] not in CUES:
            if words[j] not in FILLERS:
                j = -1
                break
            j -= 1
        if j >= 0 and words[j] in CUES and not _chain_negated(words, j):
            if weight > best:
                best, why = weight, f"request:{words[j]}+{word}"
            continue
        # Person word then a trailing verb ("mit einem Mitarbeiter sprechen").
        k = i + 1
        while k < len(words) and k - i <= 3 and words[k] not in TRAILING_VERBS and words[k] in FILLERS:
            k += 1
        if k < len(words) and words[k] in TRAILING_VERBS and not _negated(words, i):
            if weight > best:
                best, why = weight, f"request:{word}+{words[k]}"
            continue
        # A bare clause: "AGENT!!", "agent please", "real person now".
        if (
            weight == EXPLICIT
            and not content
            and len(words) <= 5
            and not channel_question
            and not _negated(words, i + 1)
        ):
            if weight > best:
                best, why = weight, f"bare:{word}"
    return best, why


def human_request_score(text: str) -> tuple[float, list[str]]:
    """Likelihood in [0, 1] that ``text`` asks for a person, and the cues found."""
    cues: list[str] = []
    normal = _normalise(text)
    best = 0.0
    for clause in _CLAUSE.split(normal):
        if not clause.strip():
            continue
        score, why = _clause_score(_tokens(clause, cues), bool(_CHANNEL_QUESTION.search(clause)))
        if score > best:
            best = score
            cues.append(why)
    if best < PHONE:
        match = _PHONE.search(normal)
        before = _SPLIT.split(normal[: match.start()]) if match else []
        if match and not _PHONE_NOT.search(normal) and not _negated(before, len(before)):
            best = PHONE
            cues.append("phone")
    if best < ESCALATE_ONLY and _ESCALATE.search(normal):
        best = ESCALATE_ONLY
        cues.append("escalate")
    if best < CHANNEL_QUESTION and _CHANNEL_QUESTION.search(normal):
        best = CHANNEL_QUESTION
        cues.append("asks_if_human")
    return best, [c for c in cues if c]

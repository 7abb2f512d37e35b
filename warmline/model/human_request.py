"""Does the customer ask for a person? The learned head decides; a narrow rule backs it up.

The score is the calibrated probability of the signal model's ``human_request`` head
(``warmline.model.signals``): trained on requests for an agent, a supervisor, a callback or
"someone from your team" in eight languages, polite and indirect, embedded in long messages,
misspelt, and on look-alikes that are not requests ("the delivery person left it at the wrong
door", "call me Sam", "a discount for travel agents", "am I talking to a bot?").

The backstop lifts a score only for the two unambiguous forms a customer may type when the model
is unsure: a message that is nothing but a person word
("agent!!", "human please", "Mitarbeiter bitte", also misspelt: "huamn") and a plain "talk to a
human/agent/person"
(in each pack language) with no negation before it. It lowers one only for an explicit refusal
("I don't want to talk to anyone", "no quiero hablar con nadie").
"""

from __future__ import annotations

import re
import unicodedata

from rapidfuzz.distance import OSA

BACKSTOP = 0.9  # what the rule lifts the score to (above the policy's 0.5)

_PERSON = (
    r"(?:human|agent|representative|rep|operator|real person|live agent|live person|actual person|supervisor|"
    r"humano|persona|agente|asesor|conseiller|humain|mitarbeiter|mensch|atendente|operatore|medewerker|"
    r"konsultant|konsultanta|czlowiek|czlowieka|manniska|handlaggare|musteri temsilcisi|temsilci|canlı destek|yetkili)"
)
_FILLER = (
    r"(?:please|pls|plz|now|asap|por favor|svp|s il vous plait|bitte|per favore|alstublieft|aub|prosze|tack|"
    r"lutfen|a|an|en|bir)"
)
_BARE = re.compile(rf"^(?:{_FILLER}\s+)*{_PERSON}(?:\s+{_FILLER})*$")
_FILLERS = frozenset("please pls plz now asap a an".split())
# One-word messages a customer types for a person, misspelt ("huamn", "agnet", "reprsentative").
_PERSON_WORDS = ("human", "agent", "representative", "operator", "supervisor", "humano", "agente", "conseiller")
_TALK_TO = re.compile(
    r"\b(?:(?:speak|talk|chat) (?:to|with)(?: a| an)?(?: real| live| actual)? (?:human|agent|person|representative)"
    r"|hablar con (?:una persona|un humano|un agente)|parler (?:a|avec) (?:un conseiller|un humain|une personne)"
    r"|mit einem (?:menschen|mitarbeiter) (?:sprechen|reden)|falar com (?:um atendente|uma pessoa|um humano)"
    r"|parlare con (?:un operatore|una persona)|(?:medewerker|mens) spreken|rozmawiac z (?:czlowiekiem|konsultantem)"
    # Swedish and Turkish, which the training data hardly has: "prata med en människa",
    # "müşteri temsilcisiyle görüşmek istiyorum", "beni yetkiliye bağlayın"
    r"|prata med (?:en manniska|en riktig person|en person|nagon|en handlaggare|kundtjanst)"
    r"|(?:insanla|temsilciyle|temsilcisiyle|yetkiliyle|biriyle) (?:gorusmek|konusmak) istiyorum"
    r"|(?:temsilciye|yetkiliye|canlı destege) bagla\w*)\b"
)
_NEGATION = re.compile(
    r"\b(?:not|dont|don't|no|never|rather not|ne|pas|nicht|kein|nao|non|niet|nie|no quiero|sin|without|inte|degil)\b"
)


def _plain(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.lower().replace("’", "'").replace("ł", "l"))
    text = "".join(c for c in text if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^\w' ]+", " ", text).split())


def _person_word(word: str) -> bool:
    """``word`` is one of the person words, misspelt at most a letter or two ("humen", "representitive")."""
    if len(word) < 5:
        return False
    limit = 1 if len(word) <= 7 else 2
    return any(OSA.distance(word, target, score_cutoff=limit) <= limit for target in _PERSON_WORDS)


def _bare_request(plain: str) -> bool:
    if _BARE.match(plain):
        return True
    words = [w for w in plain.split() if w not in _FILLERS]
    return len(words) == 1 and _person_word(words[0])


# "I was charged twice for my jacket. operator": a message whose last sentence is a bare person
# word; the head reads the whole message, where the one word is diluted.
_SENTENCE_END = re.compile(r"(?:[.!?;]+|\n)\s*")
# "speek to a humen", "i want a representitive": a verb of asking right before a (misspelt) person word.
_ASK = frozenset("want wanna need speak speek spk talk tlk chat get connect transfer give".split())


def _asks_for_misspelt_person(plain: str) -> bool:
    words = plain.split()
    if len(words) > 10:
        return False
    for i, word in enumerate(words):
        if word not in _PERSON_WORDS and _person_word(word):
            before = words[max(0, i - 4) : i]
            if any(w in _ASK for w in before) and not _NEGATION.search(" ".join(words[max(0, i - 6) : i])):
                return True
    return False


# "call me back", "can someone ring me", "is there a number I can call": a call from a person.
_CALLBACK = re.compile(
    r"\b(?:(?:call|ring|phone) me (?:back|please|pls|asap|today|now|tomorrow|on|at)"
    r"|(?:can|could|would) (?:someone|somebody|anyone|you|one of you) (?:please )?(?:call|ring|phone) me"
    r"|(?:number|phone number|hotline) (?:i|we) (?:can|could) (?:call|ring|phone))\b"
)


def rule_backstop(text: str) -> str | None:
    """The backstop's cue when ``text`` is an unambiguous request for a person, else None."""
    plain = _plain(text)
    if _bare_request(plain):
        return "rule:bare_person_word"
    sentences = [_plain(part) for part in _SENTENCE_END.split(text.strip()) if _plain(part)]
    if len(sentences) >= 2 and _bare_request(sentences[-1]):
        return "rule:bare_person_word"
    match = _TALK_TO.search(plain)
    if match and not _NEGATION.search(" ".join(plain[: match.start()].split()[-4:])):
        return "rule:talk_to_person"
    if _asks_for_misspelt_person(plain):
        return "rule:talk_to_person"
    callback = _CALLBACK.search(plain)
    if callback and not _NEGATION.search(" ".join(plain[: callback.start()].split()[-3:])):
        return "rule:callback"
    return None


# "I don't want to talk to anyone", "je ne veux pas parler à un conseiller": a bag of n-grams
# hears the request words; the refusal caps the score below the policy's threshold.
DECLINED = 0.2
_DECLINE = re.compile(
    r"\b(?:(?:do not|don't|dont|never|rather not|no need to)(?: want to| need to| wanna)? (?:talk|speak|chat)"
    r"|no (?:quiero|necesito) hablar|ne (?:veux|souhaite) pas (?:parler|discuter)"
    r"|(?:will|mochte) (?:mit )?(?:niemandem|keinem)"
    r"|nao (?:quero|preciso) falar|non (?:voglio|serve) (?:parlare|un operatore)|wil (?:met )?(?:niemand|geen)"
    r"|nie (?:chce|potrzebuje) (?:rozmawiac|konsultanta)|vill inte prata)\b"
)


# ... unless what is refused is the bot: "I don't want to talk to a bot" is a request for a person.
_MACHINE = re.compile(r"\b(?:bot|chatbot|machine|robot|computer|automat\w*|maquina|robo|roboter|ia|ai)\b")


# "Is this a person or a bot?" and nothing else: curiosity about who answers, not a wish to switch
# (a request says so: "are you a bot? then get me a person" is longer than this).
_ASKS_WHO_ANSWERS = re.compile(
    r"^(?:(?:hi|hey|hello|so|wait|lol|just curious|quick question) )*"
    r"(?:are you|r u|is this|is it|am i (?:talking|chatting|speaking) (?:to|with))(?: an?)?(?: real| actual)? "
    r"(?:person|human|bot|robot|machine|ai|chatbot)"
    r"(?: or (?:an? )?(?:real |actual )?(?:person|human|bot|robot|machine|ai))?"
    r"(?: lol| btw| then)?$"
)


def human_request_score(text: str, learned: float) -> tuple[float, list[str]]:
    """The score in [0, 1] (>= 0.5: the customer asks for a person) and its evidence."""
    cues = [f"model:{learned:.2f}"]
    score = learned
    rule = rule_backstop(text)
    plain = _plain(text)
    refusal = _DECLINE.search(plain)
    if refusal and not _MACHINE.search(plain[refusal.end() : refusal.end() + 30]):
        if score > DECLINED:
            score = DECLINED
            cues.append("rule:declines_a_person")
    elif _ASKS_WHO_ANSWERS.match(plain):
        if score > DECLINED:
            score = DECLINED
            cues.append("rule:asks_who_answers")
    elif rule is not None and score < BACKSTOP:
        score = BACKSTOP
        cues.append(rule)
    return float(min(1.0, max(0.0, score))), cues

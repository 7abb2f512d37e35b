"""What a customer turn asks of the store's systems, and the identity details it carries.

A turn is about the customer's *own* records (an account topic) when it names one of the things
the store keeps per customer (an order's status or charges, a refund, a level, Acme Plus, store
credit, a gift card, 2FA) and says it is theirs ("my", "I", an order number). "How long do refunds
take?" is a help-center question; "where is my refund?" is a lookup. Actions (cancel, change the
address, return, send a 2FA code) are topics too; the dialogue asks before doing them.

The cue words follow the help center's and the records' own vocabulary, in the languages the
store serves most (English, Spanish, French, German, Portuguese, Italian, Dutch).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from rapidfuzz.distance import OSA

ORDER_ID = re.compile(r"\b([A-Z]{2}-?\d{5,})\b", re.I)
EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
PHONE = re.compile(r"(?<![\w-])\+?1?[\s.-]?\(?\d{3}\)?[\s.-]?\d{3}[\s.-]?\d{4}(?![\w-])")
# A US ZIP code, or a Canadian postal code ("M5S 1G4", written any case, with or without the space).
ZIP = re.compile(r"(?<![\d-])(\d{5})(?:-\d{4})?(?![\d])|(?<![\w-])([a-z]\d[a-z])[ -]?(\d[a-z]\d)(?![\w-])", re.I)
# A username as people write them ("mbell_atl", "priya.r", "mayat_88"): a word joined by "_" or "."
# (a plain word could be any word, a word ending in digits a promo code such as HOLIDAY25).
USERNAME = re.compile(r"(?<![\w.@-])([a-z][a-z0-9]*(?:[._][a-z0-9]+)+)(?![\w@-]|\.\w)", re.I)
# Any word the customer says is their username ("username hannahk", "my user name is dokafor").
NAMED_USERNAME = re.compile(r"\buser ?(?:name|id)\b(?:\s+is)?\s*[:=-]?\s*([a-z][\w.]{1,29})", re.I)
PERSONAL = re.compile(
    r"\b(my|mine|i|i'm|im|i've|ive|me|we|our|mi|mis|mon|ma|mes|mein|meine|meinen|meiner|minha|meu|mio|mia|"
    r"mijn|je|j'ai|ich|yo|tengo|eu|vorrei|voglio|quiero|quisiera|necesito|ik|quero|gostaria|preciso)\b",
    re.I,
)

# "do gift cards count toward my yearly spend?", "is the return label free?": how things work, asked
# of a thing that is not the customer's own (nor the shop's: "do you ...").
HOW_THINGS_WORK = (
    r"^\W*(?:do|does|is|are|will|can|would|could)\s+(?!(?:i|we|my|our|mine|me|it|they|them|this|that|you|u)\b)"
    r"(?:the |a |an |any )?[a-z]+\w*\b(?:\s+[a-z]+){0,2}\s+(?:count|counts|cover|covered|free|included|include|apply|"
    r"expire|refundable|returnable|work|stack|allowed)\b"
)
# The things a customer's order holds, and the order itself: "my socks still haven't arrived".
ITEM = (
    r"\b(?:order|package|parcel|delivery|shipment|stuff|items?|jeans|boots?|shirts?|tee|jacket|coat|parka|socks|"
    r"beanie|cap|belt|sweater|flannel|overshirt|it|they|them)"
)
GIFT_CARD = (
    r"gift ?card|e-?gift|tarjeta (?:de )?regalo|carte[ -]cadeau|geschenkkarte|gutschein|buono regalo|"
    r"carta regalo|cartao (?:de )?presente|vale[ -]presente|cadeaukaart|cadeaubon"
)
# topic -> cue pattern (matched on the accent-folded, lower-cased text), in precedence order.
TOPIC_CUES: tuple[tuple[str, str], ...] = (
    (
        "two_factor",
        r"2fa|two[ -]?factor|two[ -]?step|2[ -]?step|authenticat|verification code|security code|login code|"
        r"sign[ -]?in code|one[ -]?time (?:code|password)|codes? (?:by|via) (?:text|sms)|(?:text|sms) codes?",
    ),
    # "why was my order cancelled?" asks about a cancelled order; "cancel my order" asks to cancel
    (
        "order_status",
        r"\b(?:was|been|got|is|were)\b.{0,40}\bcancel+ed\b|\bcancel+ed\b.{0,10}\bwhy\b|why .{0,30}\bcancel+ed\b",
    ),
    (
        "cancel_order",
        r"\bcancel+(?:l?ed|ing)?\b.{0,40}\border\b|\border\b.{0,40}\bcancel|cancelar|annuler|stornieren|"
        # the other languages' words for cancelling ("annullare il mio ordine", "ma commande annulée")
        r"\b(?:cancela\w*|annul\w*|storn\w*|annuleer\w*)\b",
    ),
    (
        "change_address",
        r"\b(?:change|update|fix|wrong|correct)\b.{0,30}\baddress\b|\baddress\b.{0,30}\b(?:change|wrong)",
    ),
    (
        "order_problem",
        r"\b(?:damaged?|broken|ripped|torn|defect|faulty|missing from|wrong (?:item|size|colou?r|one)|"
        r"came in the wrong|not what i ordered|can'?t find (?:it|my|the)|marked (?:as )?delivered|"
        r"\b(?:says?|shows?|showing|listed as) (?:it was |it's |its |as )?delivered|"
        r"delivered\b.{0,12}\bbut\b.{0,30}\b(?:not|never|isn'?t|aren'?t|nothing|no sign|can'?t|don'?t)|"
        r"warranty|fell apart|coming apart|came apart|peel\w*|"
        r"\b(?:sole|heel|stitch\w*|zip\w*|seam|strap|buckle)s?\b.{0,30}\b(?:off|loose|broke\w*|split\w*|crack\w*|"
        r"separat\w*)|\bi (?:only |just )?ordered\b.{0,50}\b(?:and|but)\b.{0,40}\b(?:got|received|came|showed up|"
        r"arrived|sent)\b|"
        # the quantity the other way round: "I got 3 packs of socks but only wanted one"
        r"\b(?:got|received|sent me|came with)\b.{0,40}\bbut (?:i )?(?:only )?(?:wanted|ordered|asked for)\b|"
        r"\b(?:sent|got|received) (?:me )?(?:the |a )?wrong\b|\bdifferent (?:colou?r|size|item)|"
        # the wrong size or a damaged item in the other languages ("la taglia sbagliata", "llegó roto")
        r"\b(?:equivocad[oa]|incorrect[oa]|sbagliat[oa]|mauvaise? (?:taille|couleur|article)|falsche\w*|verkeerde|"
        r"errad[oa]|rot[oa]s?|danad[oa]s?|abime\w*|casse\w*|endommage\w*|dechire\w*|beschadigt\w*|beschadigd\w*|"
        r"kaputt\w*|defekt\w*|danneggiat\w*|rott[oa]|strappat\w*|descosid\w*|kapot)\b|"
        r"\b(?:seam|stitch\w*|sole|heel|zip\w*|button|strap|hem|pocket|lining)s?\b.{0,30}\b(?:tore|torn|ripped|"
        r"split|fell off|came off|came undone|gave way)\b|"
        + ITEM
        + r"\b.{0,40}\b(?:tear|torn|rip|rips|hole|holes|ripped|stain(?:ed)?|seam|scratch(?:ed)?))",
    ),
    (
        "plus",
        r"acme ?plus|\bplus\b.{0,30}\b(?:renew|charge|fee|member|due|pay|bill|active|expire|end|benefit)|"
        r"\b(?:charg\w*|bill\w*|paid|pay)\b.{0,30}\bplus\b|membership fee|annual fee|renewal|\bmy (?:acme )?plus\b|"
        r"\b(?:amount|balance) due\b|\bpast due\b|\b(?:do i|i) owe\b|\bnext (?:charge|payment|bill(?:ing)?)\b|"
        r"(?:rinnov|renouvel|renuev|renov|verlang|verleng|abbonamento|suscripcion|abonnement|assinatura|lidmaatschap|"
        r"mitgliedschaft)\w*.{0,40}\bplus\b|\bplus\b.{0,30}(?:rinnov|renouvel|renuev|renov|verlang|verleng)",
    ),
    (
        "store_credit",
        r"store credit|wallet|\bcredits? (?:expir\w*|balance|left)\b|\bmy credit\b|"
        # words for a balance that a gift card has too ("das Guthaben auf meiner Geschenkkarte")
        rf"^(?!.*(?:{GIFT_CARD})).*(?:credito|credit balance|guthaben)",
    ),
    # the cards and PayPal saved on the account (not "which card did I pay with?": an order's)
    (
        "payment_methods",
        r"\b(?:cards?|payment methods?|payment options?)\b.{0,20}\b(?:on file|saved|stored|on my account)|"
        r"\b(?:saved|stored)\b.{0,12}\b(?:cards?|payment)|\bmy (?:saved |stored )?(?:cards|payment methods)\b|"
        r"\bdefault\b.{0,15}\b(?:card|payment)|\b(?:card|payment method)\b.{0,25}\bdefault\b|"
        r"\bmy (?!gift\b)(?:\w+ )?card\b.{0,25}\b(?:still )?(?:valid|expired?|expiring|good|ok|okay|working|active)\b",
    ),
    # "which card did I pay with?" is about an order's payment, not a gift card
    (
        "order_charges",
        r"\b(?:which|what) card\b|card (?:did i|i) (?:use|used|pay)|paid (?:it )?with|payment method (?:on|for|of)",
    ),
    (
        "gift_card",
        GIFT_CARD,
    ),
    # a late express order's shipping refunded is the order's business, not a return's refund
    (
        "order_status",
        r"(?:late|delay\w*|after the promised).{0,60}\b(?:shipping|express|overnight)\b.{0,30}(?:back|refund)|"
        r"\b(?:shipping|express|overnight) (?:cost |fee |charge )?(?:back|refunded)|"
        r"refund (?:of |for )?(?:the |my )?(?:shipping|express|overnight)",
    ),
    (
        "refund",
        r"\brefund|money back|how much .{0,20}\b(?:get|getting|got) back\b|"
        r"why (?:did|have|was|were|are) (?:you|they|it|my \w+)\b.{0,10}\b(?:sent|send|ship\w*|return\w*)\b"
        r".{0,20}\bback\b|"
        r"\b(?:rejected|denied|refused)\b.{0,30}\b(?:return|refund)|\b(?:return|refund)\b.{0,30}\b(?:rejected|denied|refused)|"
        r"\breturns?\b.{0,15}\b(?:status|update|progress)\b|"
        r"\b(?:status|update|progress) (?:of|on) (?:my |the )?returns?\b|"
        r"\bmy return label\b|\b(?:got|have|received|printed|used) (?:a|the|my) return label\b|"
        r"\blabel\b.{0,30}\b(?:haven'?t|not yet|deadline|ship (?:it )?by|send it)\b|"
        r"\bmy return\b.{0,30}\b(?:status|yet|been|arrived|received|processed|scanned)|"
        # the ship-by date of a return under way: "when do I have to send my return by?"
        r"\bmy return\b.{0,20}\b(?:by\W*$|deadline|due)|"
        r"\b(?:status|update) (?:of|on) my return|picked up my return|no money|not (?:been )?(?:refunded|credited)|"
        r"\bi (?:returned|sent (?:it|them|.{0,20}) back)\b|reembolso|rembourse|erstattung|ruckerstattung|"
        r"\b(?:going on|happen\w*|up|the (?:deal|story|latest)|news|updates?) (?:with|on|to) (?:my|our) "
        r"(?:\w+ )?returns?\b|\bi (?:started|opened|began|requested|made|sent in|filed) (?:a |my |the )?returns?\b|"
        r"\bmy last refund\b|\bwhat did my (?:refund|return) come to\b|rimbors\w*|terugbetal\w*|reembols\w*|"
        # a return's status in the other languages ("il mio reso è stato rifiutato", "mi devolución")
        r"\b(?:mi|mis|mon|ma|mein|meine|meiner|il mio|minha|meu|mijn) (?:devolucion|retour|rucksendung|retoure|reso|"
        r"devolucao|retourzending)\b",
    ),
    (
        "start_return",
        r"\b(?:start|begin|make|open|want|like|need)\b.{0,25}\breturn\b|\breturn (?:it|them|this|these)\b|"
        r"\bcan i (?:still )?(?:return|send back)\b|devolver|retourner|zurucksenden|"
        # how long the customer's own item can go back: "how long do I have to return my boots?",
        # "last day I can return my belt", "is my oxford shirt returnable?"
        r"\bhow (?:long|much time|many days) (?:do|have) (?:i|we) (?:have|got|get)(?: left)? to (?:return|send)\b|"
        r"\blast day\b.{0,30}\breturn|\breturn\w*\b.{0,30}\b(?:deadline|last day)\b|\breturnable\b|"
        r"\b(?:can|could) (?:my|this|these|it|they)\b.{0,30}\bbe returned\b|"
        r"\b(?:devolv\w*|retourn\w*|restitu\w*|zuruck(?:schick|send|geb)\w*|terug(?:stur|zend)\w*|"
        r"fare (?:un )?reso|rendere)\b",
    ),
    (
        "membership",
        r"\bmy\b.{0,20}\b(?:level|tier|membership status|yearly spend)\b|what (?:level|tier) am i|"
        r"am i (?:a |at )?(?:gold|silver|bronze|guest)|how much (?:have )?i spent|\bi(?:'ve| have)? spent\b|"
        r"spent this year|(?:need|have) to spend to (?:reach|get|become|be)|\bmi nivel\b|mon niveau|"
        r"spend .{0,15}\b(?:for|to (?:reach|get|become|be|hit|make)) (?:gold|silver|bronze|the next)|"
        r"how (?:much|far) .{0,25}\b(?:to|from|until|till|for) (?:gold|silver|bronze|the next (?:level|tier))|"
        r"mein(?:e)? (?:stufe|level)",
    ),
    (
        "order_charges",
        r"\b(?:fees?|charged|total|tax|billed|paid)\b.{0,40}\b(?:order|purchase)\b|"
        r"\b(?:order|purchase)\b.{0,40}\b(?:fees?|charged|total|tax|cost|paid)\b|"
        # "I did not get my 10%", "how much discount did I get", "what's the 5.99 on my order"
        r"\b(?:did i|didn'?t i|i didn'?t|i did not|did not|didn'?t|never) (?:get|receive|got)\b.{0,25}"
        r"(?:discount|\d+ ?%)|\bdiscount\b.{0,20}\b(?:did i|i got|was applied|on my)\b|"
        r"how much (?:did|have|do) i save|"
        r"\b\d+(?:\.\d\d)? ?(?:dollars?|bucks|usd)\b.{0,15}\b(?:fee|charge|extra|more)\b|"
        r"\bthe \$?\d+(?:\.\d\d)? (?:dollar )?(?:fee|charge)\b|\bi used\b.{0,20}\b(?:code|coupon|promo|[a-z]+\d\d)\b|"
        r"what(?:'?s| is| was) (?:the|this|that) \$?\d+(?:\.\d\d)?\b|\$?\d+\.\d\d\b.{0,12}\bon (?:my|the|this) "
        r"(?:order|bill|receipt|statement|card)|"
        r"why (?:was|am|did) i (?:get )?(?:charged|billed)|charged (?:me|for)|extra (?:fee|charge)|"
        r"what is th(?:is|e) fee|how much did i pay|did i pay|i paid|pay .{0,12}extra|extra \$?\d|\$\d+(?:\.\d\d)? "
        r"(?:charge|fee|extra)|\b(?:duties|customs)\b.{0,40}\b(?:order|charge|fee|paid|pay)|"
        r"\b(?:order|charged?|fee|paid|pay)\b.{0,40}\b(?:duties|customs)\b|charge on my|what was the (?:extra|charge)",
    ),
    (
        "order_status",
        r"wh?ere?(?:'s| is| are)\b.{0,30}\b(?:order|package|parcel|stuff|items?|jeans|boots|shirt|jacket)|"
        r"wh?ere?(?:'?s| is| are)\s+(?:my|our)\b(?!\s+(?:nearest|closest|local)\b)|"
        r"\b(?:going on|happening|the (?:deal|story|latest)|news|updates?) (?:with|on) (?:my|our) "
        r"(?:order|package|parcel|delivery|shipment|stuff)\b|"
        r"\b(?:order|package|parcel|delivery|shipment)\b.{0,40}\b(?:status|arrive|come|coming|late|delay|eta|track|shipped|"
        r"deliver|yet|still|when)|track(?:ing)?|\beta\b|hasn'?t (?:arrived|come|shipped)|not (?:arrived|here|received)|"
        r"when will .{0,30}(?:arrive|come|ship|get here)|"
        r"when'?s\b (?:my|our|it|the)\b.{0,30}\b(?:arriv\w*|com(?:e|es|ing)|get(?:ting)? here|ship\w*|due)\b|"
        r"get(?:ting)? here|(?:haven'?t|hasn'?t|have not|has not|not yet) "
        r"(?:arrived|come|shipped|been delivered)|get here|arriv|on (?:its|their) way|shipped yet|picked up|"
        r"pedido|commande|bestellung|encomenda|ordine|bestelling|colis|paquete|paket|pacote|pacco|pakket|"
        r"sendungsnummer|sendungsverfolgung|seguimiento|numero de suivi|suivi de|tracciamento|rastreamento|"
        r"\b(?:llega\w*|kommt\b.{0,20}\ban|chega\w*|arriva\w*|komt\b.{0,20}\baan|geliefert|livre\w*|entreg\w*|"
        r"consegn\w*|bezorg\w*|verschickt|versendet|spedit\w*|enviad\w*|expedi\w*|verzonden)\b|"
        # "did my coat ship yet?", "when do my boots ship?", "my flannel still isn't here"
        r"\b(?:ship|shipped|dispatch\w*|sent out|go out|left)\b.{0,15}\byet\b|"
        r"\b(?:has|have|did|is|was)\b (?:my|our|it|they)\b.{0,30}\b(?:ship(?:ped)?|dispatched|sent|left|arrived)\b|"
        r"\bwhen (?:will|does|do|is|are|did|would|was|were)\b (?:my|our|it|they|the|this|that)\b.{0,30}"
        r"\b(?:ship|deliver|arriv|com(?:e|es|ing)\b)|"
        r"(?:isn'?t|aren'?t|is not|are not|never|still not) (?:here|arrived|come|shown up|turned up)|"
        r"\bmy (?:\w+ )?(?:delivery|arrival) (?:date|day|estimate)\b|"
        r"^\W*(?:delivery|arrival) (?:date|day|estimate)\W*$|"
        r"\bgets? here\b|"
        r"\bwhen (?:it|they|this|that|these|those)\b.{0,15}\b(?:gets?|arriv\w*|comes?|coming|ships?|deliver\w*)\b|"
        r"\b(?:carrier|courier)\b|"
        # what the order holds: "what was in my last order", "which colour did I get the tee in"
        r"\bwhat (?:did i|have i) (?:order|buy|get)\b|\bdid i (?:order|buy|purchase)\b|what(?:'?s| was| is) in my|"
        # the address it goes to: "what address is my order going to?"
        r"\b(?:what|which) (?:shipping |delivery )?address\b.{0,30}\b(?:order|package|parcel|it|going|sent|shipp\w*)|"
        r"\b(?:colou?r|size|how many|quantity)\b.{0,40}\b(?:did i (?:get|order|buy|pick|choose)|"
        r"i (?:got|ordered|bought|picked|chose))\b",
    ),
)
# A question about the store's rules ("how long do I have to return something?", "can I cancel an
# order that has shipped?") is the help center's to answer, even in the first person, unless it
# names the customer's own records ("my order", "do I have", an order number).
RULE_QUESTION = re.compile(
    r"^\s*(?:do|does|will|can|could|should)\s+(?:i|we)\b|"
    + HOW_THINGS_WORK
    + r"|\b(?:does|do|is|are|will|can) (?:it|they|this|that|these|those)\b|"
    r"\b(?:how (?:long|much|many|soon|quickly|fast|often)|do i (?:get|need|have to)|will i|can i|could i|if i|"
    r"what happens if|what (?:now|can (?:i|you) do|are my options|should i do|do i do)|is it possible|do you|is there|"
    # a case put hypothetically ("what time will it come if it's out for delivery?")
    r"if (?:it|it's|its|they|they're|theyre) (?:is|are|was|were|says?|shows?|gets?|arrives?|comes?|out|still|not)|"
    r"are there|cuanto|cuantos|cuantas|se puede|puedo|combien|"
    r"est-ce que je peux|wie (?:lange|viel|viele)|kann ich|quanto|quantos|posso|hoe (?:lang|veel)|hoeveel|kan ik)\b"
)
# A question whose subject is not the customer's own ("do gift card purchases count towards my
# level?"): how things work, even when it ends on "my".
GENERAL_QUESTION = re.compile(HOW_THINGS_WORK)
# A question about a record's own value ("how much was my refund?", "what's going on with my
# return?"): the record answers, not the rule behind it.
ASKS_RECORD = re.compile(
    r"\b(?:how much|what|when|where|which|why)\b(?:'s|s)?\s+(?:was|were|did|has|have)\s+(?:my|our)\b|"
    r"\bwhat(?:'s|s| is)? (?:going on|happening|up|the (?:deal|story|latest)) with (?:my|our)\b|"
    r"\bwhat did (?:my|our) \w+(?: \w+)? come to\b"
)
OWN_RECORD = re.compile(
    r"\b(?:my|mine|mi|mis|mon|ma|mes|mein|meine|meinen|minha|meu|mio|mia|mijn)\s+(?:\w+\s+)?"
    r"(?:order|package|parcel|refund|return|account|level|tier|gift ?card|store credit|credit|balance|plus|wallet|"
    r"membership|subscription|renewal|card|cards|default|charge|payment|delivery|shipment|jacket|jeans|boots?|shirt|socks|coat|"
    r"stuff|items?|pedido|commande|bestellung|encomenda|ordine|bestelling|reembolso|remboursement|tarjeta|carte|"
    r"karte|gutschein|carta|cartao|reso|rimborso|erstattung|sendung|paquete|colis|paket|pacco|pakket|devolucion|"
    r"retour|rucksendung|abonnement|suscripcion|abbonamento|assinatura|compte|cuenta|konto|conto|saldo|guthaben|"
    r"credito)|"
    # "do I have store credit?" asks a record; "how many days do I have to ship it?" a rule
    r"\b(?:do i have(?! to\b)|have i|am i|did i|was i|i owe|is mine)\b"
)
# Where a turn's questions part: "?", "; ", or "and"/"also" before a question word.
QUESTION_SPLIT = re.compile(
    r"\?+\s*|;\s*|,?\s+(?:and|also|plus)\s+(?=(?:how|what|whats|when|where|which|why|did|do|does|is|are|was|has|"
    r"have|can|will|am)\b)"
)
ACTIONS = frozenset({"cancel_order", "change_address", "start_return", "two_factor"})

# An action on the order just talked about, named by a pronoun ("can I cancel it?", "I want to
# send them back"): meaningful only right after a lookup showed that order.
_IT = r"(?:it|that|this(?: one)?|them|those)"
ACTION_ON_IT = (
    (
        "cancel_order",
        re.compile(rf"\bcancel+\b.{{0,12}}\b{_IT}\b|\bcancelar(?:lo|la)\b|\bl'annuler\b|\bstornieren\b"),
    ),
    (
        "start_return",
        re.compile(rf"\breturn\b.{{0,12}}\b{_IT}\b|\bsend {_IT} back\b|\bdevolver(?:lo|la)?\b|\bretourner\b"),
    ),
    ("change_address", re.compile(rf"\b(?:change|update)\b.{{0,20}}\baddress\b|\bsend {_IT} to\b")),
)


def action_on_it(plain: str) -> str | None:
    """The action a short turn asks for on "it" (the order just shown), if any."""
    return next((action for action, cue in ACTION_ON_IT if cue.search(plain)), None)


YES = re.compile(
    r"^\s*(?:yes|yeah|yep|yup|sure|ok(?:ay)?|please do|go ahead|do it|confirm(?:ed)?|correct|that's right|right|"
    r"si|sí|oui|ja|sim|certo|graag)\b",
    re.I,
)
NO = re.compile(r"^\s*(?:no|nope|nah|don'?t|do not|cancel that|never ?mind|not now|wait|stop|non|nein|não|nao)\b", re.I)
DONE = re.compile(
    r"\b(?:that'?s (?:all|it|everything)|that is all|nothing else|no(?:thing)? more|all set|all good|"
    r"(?:good)?bye|see you|have a (?:good|nice|great) (?:day|one|night)|no,? thanks?|no thank you|i'?m done|"
    r"that helps?|that answers|eso es todo|c'est tout|das war'?s|adios|adiós|au revoir|tschüss|tschuss)\b|"
    # "ciao" ends a turn to say goodbye ("grazie, ciao"); opening one it says hello ("Ciao, sono Olivia")
    r"\S\s+ciao[\s!.]*$",
    re.I,
)
# The customer says who they are ("my name is Maya Thompson", "mi chiamo Olivia Rossi").
INTRODUCES = re.compile(
    r"\b(?:my name is|my name's|name is|me llamo|mi nombre es|je m'appelle|mon nom est|ich hei(?:ß|ss)e|"
    r"mein name ist|mi chiamo|il mio nome è|sono|meu nome é|me chamo|mijn naam is|ik heet)\s+\w",
    re.I,
)
THANKS = re.compile(r"\b(?:thanks?|thank you|thx|ty|cheers|gracias|merci|danke|obrigad[oa]|grazie|bedankt)\b", re.I)
FILLER = (
    "yes yeah yep sure ok okay no nope thanks thank you please hi hello hey its it's is my name email order number "
    "zip code and the user username"
)
GREETING = re.compile(
    r"^\s*(?:hi|hello|hey|good (?:morning|afternoon|evening)|hola|bonjour|hallo|ola|olá|ciao)\b[\s!.,]*$", re.I
)


# The words the account cues are written in, and what a hurried customer types for them ("refnd
# status", "wheres my pakage", "membrship levle"): one edit (a swap counts as one), two for long
# words. Real words one edit from these are not typos of them ("change" is not "charge").
ACCOUNT_WORDS = tuple(
    """refund refunds package packages parcel order orders tracking delivery delivered shipped shipping
    shipment membership level balance credit renewal renew renews status arrive arrived payment charged
    subscription warranty cancel cancelled return returned discount""".split()
)
NOT_TYPOS = frozenset(
    """change changed charge older lever levels revel statue status chipped whipped shipper ordered reorder
    credits credit arrives arrival renewed parcels leveled tracing trading cancer causal carrier carriers
    returns refunded charges payments discounts balanced deliver delivers cancelar cancela cancelo cancele
    retourner retourne retour retoure paquete parcelle ordine ordene""".split()
)


@lru_cache(maxsize=4096)
def _account_word(word: str) -> str:
    if len(word) < 5 or word in NOT_TYPOS or word in ACCOUNT_WORDS:
        return word
    limit = 1 if len(word) < 8 else 2
    for known in ACCOUNT_WORDS:
        if abs(len(known) - len(word)) <= limit and OSA.distance(word, known, score_cutoff=limit) <= limit:
            return known
    return word


def respelled(plain: str) -> str:
    """``plain`` (folded) with misspelt account words written as the cues spell them."""
    return re.sub(r"[a-z]+", lambda m: _account_word(m.group()), plain)


def folded(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("’", "'")


@dataclass(frozen=True)
class TurnReading:
    topic: str | None  # an account topic, when the turn asks about the customer's own records
    also: tuple[str, ...]  # the account topics of its other questions ("when does it arrive? and did I pay for it?")
    named_topic: str | None  # the account topic its words name, whoever's ("the tracking number?")
    order_ids: tuple[str, ...]
    emails: tuple[str, ...]
    zip_codes: tuple[str, ...]
    phones: tuple[str, ...]  # the last 10 digits of each phone number
    usernames: tuple[str, ...]  # words shaped like a username ("mbell_atl")
    yes: bool
    no: bool
    done: bool  # the customer is finished ("thanks, that's all")
    thanks: bool
    greeting: bool
    question_words: int  # words beyond the details, thanks and yes/no
    personal: bool  # "my", "I", an order number: about the customer's own things
    asks_rule: bool  # asks how the store's rules work ("how long...", "can I...", "will I...")
    asks_record: bool = False  # asks a record's own value ("how much was my refund?")

    @property
    def gives_details(self) -> bool:
        """The turn holds an email, order id, ZIP code, phone number or username."""
        return bool(self.emails or self.order_ids or self.zip_codes or self.phones or self.usernames)


@lru_cache(maxsize=4096)  # a turn is read by several steps of one reply, and again on each later turn
def read_turn(text: str) -> TurnReading:
    plain = respelled(folded(text))
    order_ids = tuple(dict.fromkeys(m.group(1).upper().replace("-", "") for m in ORDER_ID.finditer(text)))
    emails = tuple(dict.fromkeys(m.group().lower() for m in EMAIL.finditer(text)))
    phones = tuple(dict.fromkeys(phone_digits(m.group()) for m in PHONE.finditer(text)))
    rest = PHONE.sub(" ", ORDER_ID.sub(" ", EMAIL.sub(" ", text)))
    zip_codes = tuple(dict.fromkeys(postal_code(m) for m in ZIP.finditer(rest)))
    usernames = tuple(
        dict.fromkeys(
            m.group(1).lower().rstrip(".") for pattern in (NAMED_USERNAME, USERNAME) for m in pattern.finditer(rest)
        )
    )
    personal = bool(PERSONAL.search(plain)) or bool(order_ids) or bool(emails)  # their own email: their records
    named = next((name for name, cue in TOPIC_CUES if re.search(cue, plain)), None)
    topic = named if personal else None
    asks_record = ASKS_RECORD.search(plain) is not None
    asks_rule = RULE_QUESTION.search(plain) is not None and not asks_record
    if (
        topic is not None
        and asks_rule
        and (not OWN_RECORD.search(plain) or GENERAL_QUESTION.search(plain))
        and not (order_ids or emails or zip_codes)
    ):
        topic = None
    words = re.findall(r"[a-z']+", folded(ZIP.sub(" ", without_usernames(rest))))
    filler = set(FILLER.split())
    also: tuple[str, ...] = ()
    if topic is not None:
        # Several questions ("when does it arrive? and did I pay for overnight?"): each one's
        # topic, in the order asked.
        parts = [p for p in QUESTION_SPLIT.split(plain) if p.strip()]
        if len(parts) > 1:
            named_parts = [next((name for name, cue in TOPIC_CUES if re.search(cue, part)), None) for part in parts]
            asked = tuple(dict.fromkeys(t for t in named_parts if t is not None))
            if asked:
                topic, also = asked[0], asked[1:]
    return TurnReading(
        topic=topic,
        also=also,
        named_topic=named,
        order_ids=order_ids,
        emails=emails,
        zip_codes=zip_codes,
        phones=phones,
        usernames=usernames,
        yes=bool(YES.search(plain)) and not NO.search(plain),
        no=bool(NO.search(plain)),
        done=bool(DONE.search(plain)),
        thanks=bool(THANKS.search(plain)),
        greeting=bool(GREETING.match(plain)),
        question_words=len([w for w in words if w not in filler]),
        personal=personal,
        asks_rule=asks_rule,
        asks_record=asks_record,
    )


# A charge the customer says they never made is a dispute for people, never a lookup's answer.
DISPUTE = re.compile(
    r"\b(?:never (?:made|bought|ordered|authori[sz]ed|placed)|fraud\w*|unauthori[sz]ed|stolen|hacked|"
    r"(?:didn'?t|did not) (?:make|buy|order|authori[sz]e|place)|not mine|someone (?:else )?(?:used|bought|ordered))\b"
)


def store_answers_turn(text: str) -> bool:
    """Whether the turn asks about the customer's own records, which the store's systems answer
    (not a charge they dispute)."""
    plain = folded(text)
    return read_turn(text).topic is not None and DISPUTE.search(plain) is None


# Words around identity details that ask nothing ("hi, this is Kim Lee, my email is ...").
DETAIL_WORDS = frozenset(
    "hi hello hey yes sure ok okay this is it's its i'm im i am my name name's email e-mail mail order number "
    "zip code postcode postal and the here it's me of on account sorry soy je suis ich bin mi mein ma mon user "
    "username sono soy llamo chiamo appelle heiße heisse naam nome chamo heet".split()
)


def without_usernames(text: str) -> str:
    return USERNAME.sub(" ", NAMED_USERNAME.sub(" ", text))


def details_only(text: str) -> bool:
    """The turn hands over identity details (an email, order id or ZIP code and a name, or a bare
    name) and asks nothing else."""
    reading = read_turn(text)
    rest = without_usernames(ZIP.sub(" ", PHONE.sub(" ", ORDER_ID.sub(" ", EMAIL.sub(" ", text)))))
    words = [w for w in re.findall(r"[a-z']+", folded(rest)) if w not in DETAIL_WORDS]
    if "?" in rest:
        return False
    if reading.gives_details:
        return len(words) <= 4
    return 1 <= len(words) <= 3


def introduces_self(text: str) -> bool:
    """The turn only says who the customer is, in words ("my name is Maya Thompson")."""
    return INTRODUCES.search(text) is not None and details_only(text)


def postal_code(found: re.Match[str]) -> str:
    """A ZIP code as written, a Canadian postal code as the store keeps it ("M5S 1G4")."""
    return found.group(1) or f"{found.group(2)} {found.group(3)}".upper()


def same_postal_code(kept: str, given: str) -> bool:
    return re.sub(r"[\s-]", "", kept).upper() == re.sub(r"[\s-]", "", given).upper()


def phone_digits(phone: str) -> str:
    return re.sub(r"\D", "", phone)[-10:]


def names_in(text: str, name: str) -> bool:
    """Whether the customer's full name (any case, accents optional) is in ``text``."""
    parts = [p for p in re.findall(r"[a-z']+", folded(name)) if len(p) > 1]
    plain = folded(text)
    return bool(parts) and all(re.search(rf"\b{re.escape(p)}\b", plain) for p in parts)


def any_name_in(text: str, name: str) -> bool:
    """Whether the customer's first or last name is in ``text``."""
    plain = folded(text)
    return any(re.search(rf"\b{re.escape(p)}\b", plain) for p in re.findall(r"[a-z']+", folded(name)) if len(p) > 1)

"""What the bot says after looking a customer's records up: written sentences, one topic each.

Each ``*_reply`` takes the verified customer's typed record (and the order the customer named, if
any) and returns the sentences with the facts (status, dates, amounts, tracking) plus what the
help center's rule means for them (a late order's options, when a refund arrives, the grace
period). Dates are written as the help center writes them ("November 20, 2026").
"""

from __future__ import annotations

import re
from datetime import date, timedelta

from warmline.shop import rules
from warmline.shop.knowledge import stem
from warmline.shop.records import Customer, Order, Refund
from warmline.shop.rules import long_date, status_words

REFUND_ARRIVAL = {  # refund-timing
    "credit_card": "card refunds take 5-10 business days to show",
    "debit_card": "card refunds take 5-10 business days to show",
    "paypal": "PayPal refunds take 3-5 business days",
    "gift_card": "it comes as a new e-gift card within 1 business day",
    "store_credit": "store credit shows within 24 hours",
}
METHOD_WORDS = {
    "credit_card": "your card",
    "debit_card": "your debit card",
    "paypal": "PayPal",
    "gift_card": "a gift card",
    "store_credit": "store credit",
}
LEVEL_STEPS = (("bronze", 250.0), ("silver", 750.0), ("gold", 1500.0))  # membership-levels
LEVEL_PERKS = {
    "guest": "free standard shipping on orders of $75+",
    "bronze": "a 5% member discount and free standard shipping on $50+",
    "silver": "a 10% member discount, free standard shipping and free return labels",
    "gold": "a 15% member discount, free express shipping, free return labels and free gift wrap",
}
MEMBER_DISCOUNT = {"bronze": "5%", "silver": "10%", "gold": "15%"}
ACTIVE = ("processing", "shipped", "out_for_delivery", "delayed")


def has_record(customer: Customer, topic: str) -> bool:
    """Whether the customer has anything of ``topic`` to show (a refund, a gift card, Acme Plus...)."""
    held = {
        "refund": bool(customer.refunds),
        "gift_card": bool(customer.gift_cards),
        "store_credit": customer.store_credit > 0,
        "plus": customer.acme_plus is not None,
        "payment_methods": bool(customer.payment_methods),
    }
    return held.get(topic, bool(customer.orders))


def money(amount: float) -> str:
    return f"${amount:,.2f}"


def business_days_between(start: date, end: date) -> int:
    """Business days after ``start`` up to ``end`` (Mon-Fri, without Thanksgiving 2026)."""
    days, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if day.weekday() < 5 and day != date(2026, 11, 26):
            days += 1
    return days


def names_an_item(customer: Customer, text: str) -> bool:
    """Whether ``text`` names an item of the customer's orders by two words of its name ("the
    linen camp shirt", "my work boots")."""
    words = {stem(w) for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 3}
    return any(
        len(words & {stem(w) for w in re.findall(r"[a-z]+", item.name.lower()) if len(w) > 3}) >= 2
        for order in customer.orders
        for item in order.items
    )


# The kinds of item a customer names ("return the jeans") and the words of item names that are that
# kind: a kind none of their orders holds is an item they didn't buy from us, not their newest order.
ITEM_KINDS: dict[str, tuple[str, ...]] = {
    "jeans": ("jeans",), "pants": ("jeans",), "denim": ("jeans", "denim"), "boots": ("boot", "hiker"),
    "boot": ("boot", "hiker"), "shirt": ("shirt", "overshirt", "tee"), "tee": ("tee",), "t-shirt": ("tee",),
    "jacket": ("jacket", "parka", "coat"), "coat": ("coat", "parka", "jacket"), "parka": ("parka",),
    "socks": ("socks",), "belt": ("belt",), "beanie": ("beanie",), "hat": ("cap", "beanie"), "cap": ("cap",),
    "sweater": ("sweater",), "hoodie": ("hoodie",), "dress": ("dress",), "shorts": ("shorts",),
    "sneakers": ("sneaker",), "scarf": ("scarf",), "gloves": ("gloves",),
}  # fmt: skip
NAMED_ITEM = re.compile(
    r"\b(?:my|the|these|those|this|that)\s+(?:[a-z]+\s+){0,2}?("
    + "|".join(sorted(ITEM_KINDS, key=len, reverse=True))
    + r")s?\b",
    re.I,
)


def missing_item(customer: Customer, text: str) -> str | None:
    """The kind of item the customer names as theirs ("the jeans") that none of their orders
    holds, as they wrote it; None when they hold it, name none, or have no orders."""
    if not customer.orders:
        return None
    names = " ".join(i.name.lower() for o in customer.orders for i in o.items)
    for match in NAMED_ITEM.finditer(text):
        kind = match.group(1).lower()
        if not any(re.search(rf"\b{re.escape(word)}", names) for word in ITEM_KINDS[kind]):
            return match.group(0).split()[-1].lower()
    return None


def orders_words(customer: Customer) -> str:
    """Each order with what it holds, newest first ("AB41562 (Leather Work Boot and ...)")."""
    orders = sorted(customer.orders, key=lambda o: o.placed_on, reverse=True)
    return "; ".join(f"{o.order_id} ({items_words(o)})" for o in orders[:3])


def pick_order(
    customer: Customer,
    order_ids: tuple[str, ...],
    prefer_active: bool = True,
    text: str = "",
    other_than: str | None = None,
) -> Order | None:
    """The order the customer means: the one they named, else the one holding most of the product
    words they use ("the work boots"), else the newest still on its way (or the newest);
    ``other_than`` is the order just discussed, when they ask about their other one."""
    # Product words of three letters count too when they name a kind of item ("my cap order").
    words = {stem(w) for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 3 or w in ITEM_KINDS}

    def named(order: Order) -> int:
        return max(
            (len(words & {stem(w) for w in re.findall(r"[a-z]+", i.name.lower())}) for i in order.items), default=0
        )

    for order_id in order_ids:
        order = customer.order(order_id)
        if order is None or order.order_id == other_than:
            continue
        # An order remembered from an earlier turn gives way when this turn names an item that
        # only another order holds ("has my cap order shipped?" after the socks order).
        if order_id.lower() in text.lower() or named(order) >= max(named(o) for o in customer.orders):
            return order
        break
    orders = sorted(customer.orders, key=lambda o: o.placed_on, reverse=True)
    if other_than is not None and len(orders) > 1:
        orders = [o for o in orders if o.order_id != other_than]
    if words:
        best = max((named(o) for o in orders), default=0)
        if best:
            orders = [o for o in orders if named(o) == best]
    if prefer_active:
        active = [o for o in orders if o.status in ACTIVE]
        if active:
            return active[0]
    return orders[0] if orders else None


# What a question asks of an order's items ("which colour did I get?", "how many packs?", "what
# was in my last order?"), of Acme Plus's billing ("which card is it billed to?").
ASKS_ITEMS = re.compile(
    r"\b(?:colou?r|size|how many|quantity|qty|what (?:was|is|'s|were) in|what did i (?:order|buy|get)|"
    r"which (?:items?|products?|things?)|what items?)\b",
    re.I,
)
ASKS_BILLING = re.compile(
    r"\b(?:card|paypal|payment method|pay(?:ing)? with|billed to|charged to|last (?:payment|paid))\b", re.I
)


def item_details(order: Order) -> str:
    """Every item with its quantity, size and colour: "3 x Merino Wool Socks (3-pack), size M, Grey"."""
    described = []
    for item in order.items:
        count = f"{item.qty} x " if item.qty > 1 else ""
        size = f", size {item.size}" if item.size and item.size.lower() != "one size" else ""
        colour = f", {item.color}" if item.color else ""
        described.append(f"{count}{item.name}{size}{colour}")
    listed = described[0] if len(described) == 1 else f"{'; '.join(described[:-1])} and {described[-1]}"
    return f"It holds {listed}."


def items_words(order: Order) -> str:
    names = [i.name for i in order.items]
    if len(names) > 2:
        return f"{names[0]}, {names[1]} and {len(names) - 2} more"
    return " and ".join(names) or "no items"


# "what address is my order going to?", "where is it being shipped to?"
ASKS_ADDRESS = re.compile(
    r"\b(?:what|which) (?:shipping |delivery )?address\b|\baddress\b.{0,25}\b(?:going|sent|shipp\w*|deliver\w*)\b|"
    r"\b(?:sent|shipp\w*|going|deliver\w*) to (?:which|what) address\b|\bwhere (?:is|are) (?:it|they|my \w+) "
    r"(?:going|being (?:sent|shipped|delivered))\b",
    re.I,
)


def order_status_reply(customer: Customer, order: Order, today: date, text: str = "") -> str:
    """Where the order is; what it holds, or the address it goes to, when the question asks."""
    status = order_whereabouts(customer, order, today)
    if text and ASKS_ITEMS.search(text):
        status = f"{status} {item_details(order)}"
    if text and ASKS_ADDRESS.search(text) and order.shipping.address is not None:
        went = "went" if order.shipping.delivered_on else "goes"
        status = f"{status} It {went} to {order.shipping.address.line()}."
    return status


def order_whereabouts(customer: Customer, order: Order, today: date) -> str:
    ship = order.shipping
    head = f"Your order {order.order_id} ({items_words(order)}) is {status_words(order.status)}"
    carrier = f" with {ship.carrier}, tracking number {ship.tracking}" if ship.tracking else ""
    if order.status == "delivered" or (order.status in ("returned", "partially_returned") and ship.delivered_on):
        when = f" on {long_date(ship.delivered_on)}" if ship.delivered_on else ""
        text = f"Your order {order.order_id} ({items_words(order)}) was delivered{when}{carrier}."
        arrived_late = ship.eta is not None and ship.delivered_on is not None and ship.delivered_on > ship.eta
        if arrived_late and ship.method in ("express", "overnight") and ship.cost > 0:  # delayed-order
            text += (
                f" It arrived after its promised date ({long_date(ship.eta)}), so the {money(ship.cost)} "  # type: ignore[arg-type]
                f"{ship.method} shipping can be refunded if you ask within 30 days of delivery."
            )
        return text
    if order.status == "processing":
        return (
            f"{head}: placed on {long_date(order.placed_on)}, it hasn't shipped yet, so the address can still be "
            "changed or the order cancelled. You'll get the tracking number by email when it ships."
        )
    if order.status == "out_for_delivery":
        return f"{head}{carrier}: it should arrive by 8 p.m. today."
    if order.status == "cancelled":
        return (
            f"Your order {order.order_id} was cancelled; any payment authorization drops off within 3-7 business days."
        )
    eta = ship.eta
    if eta is not None and eta < today:
        late = business_days_between(eta, today)
        text = f"{head}: it was due on {long_date(eta)}{carrier}, so it is {late} business days late."
        if late >= 5:
            text += " You can choose a replacement shipped free by express or a full refund to your original payment."
        else:
            text += " We're asking the carrier for an update; most late packages arrive within 4 business days."
        return text
    when = f", estimated delivery {long_date(eta)}" if eta else ""
    return f"{head}{carrier}{when}."


def payment_words(customer: Customer, kind: str, last4: str | None) -> str:
    """How a payment is named: the saved card's brand when the wallet knows it ("your Mastercard
    ending 5521"), else its kind ("your card ending 5521", "PayPal")."""
    words = METHOD_WORDS.get(kind, kind)
    if not last4:
        return words
    brand = next((m.brand for m in customer.payment_methods if m.last4 == last4 and m.brand), None)
    if brand is not None:
        words = f"your {brand}{' debit card' if kind == 'debit_card' else ''}"
    return f"{words} ending {last4}"


def order_charges_reply(customer: Customer, order: Order) -> str:
    counted = ", ".join(f"{i.qty} x {i.name}" if i.qty > 1 else i.name for i in order.items)
    parts = [f"items {money(order.subtotal)} ({counted})"]
    if order.discount:
        code = f" ({order.promo_code})" if order.promo_code else ""
        parts.append(f"discount -{money(order.discount)}{code}")
    ship = order.shipping
    parts.append(f"{ship.method} shipping {money(ship.cost) if ship.cost else 'free'}")
    parts.extend(f"{fee.name} {money(fee.amount)}" for fee in order.fees)
    parts.append(f"tax {money(order.tax)}")
    paid = ""
    if order.payment is not None:
        paid = f", paid with {payment_words(customer, order.payment.type, order.payment.last4)}"
    text = f"Order {order.order_id}: {'; '.join(parts)}; total {money(order.total)}{paid}."
    level = customer.membership.level
    if order.promo_code and level in MEMBER_DISCOUNT:
        text += (
            f" The {order.promo_code} code was used instead of your {MEMBER_DISCOUNT[level]} {level} member "
            "discount: the two can't be combined, and we apply whichever saves you more."
        )
    return text


def refund_reply(customer: Customer, order_ids: tuple[str, ...]) -> str:
    refunds = sorted(customer.refunds, key=lambda r: r.requested_on or date.min, reverse=True)
    chosen: list[Refund] = [r for r in refunds if r.order_id in order_ids] or refunds[:1]
    if not chosen:
        return "I don't see a refund on your account yet. Refunds start once a return reaches our warehouse."
    refund = chosen[0]
    method = METHOD_WORDS.get(refund.method, refund.method)
    head = f"Your refund {refund.refund_id} of {money(refund.amount)} for order {refund.order_id}"
    status = refund.status
    if status == "requested":
        ship_by = (
            f" Please ship it by {long_date(rules.return_ship_by(refund.requested_on))}." if refund.requested_on else ""
        )
        text = f"{head} is requested: we're waiting for the item, then inspect it within 3 business days.{ship_by}"
    elif status == "approved":
        text = f"{head} is approved: it will be issued to {method} within 1 business day."
    elif status == "sent":
        text = f"{head} was sent to {method}; {REFUND_ARRIVAL.get(refund.method, 'it is on its way')}."
    elif status == "completed":
        when = f" on {long_date(refund.completed_on)}" if refund.completed_on else ""
        text = f"{head} was completed{when}, to {method}."
    elif status == "rejected":
        text = f"{head} was rejected: the item didn't meet our return conditions, and we ship it back to you for free."
    else:
        text = f"{head} is {status}."
    if refund.note:
        text += f" {written_dates(refund.note)}"
    return text


ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def written_dates(note: str) -> str:
    """A record's note with its ISO dates written as the help center writes them ("refund issued
    to card November 25, 2026"), as a customer reads them."""

    def written(match: re.Match[str]) -> str:
        try:
            return long_date(date(int(match.group(1)), int(match.group(2)), int(match.group(3))))
        except ValueError:
            return match.group()

    return ISO_DATE.sub(written, note)


def membership_reply(customer: Customer) -> str:
    level, spend = customer.membership.level, customer.membership.yearly_spend
    text = f"You're at the {level} level, with {money(spend)} spent this calendar year"
    perks = LEVEL_PERKS.get(level)
    text += f", which gives you {perks}." if perks else "."
    upcoming = next(((name, floor) for name, floor in LEVEL_STEPS if spend < floor), None)
    if upcoming is not None:
        text += f" Another {money(upcoming[1] - spend)} reaches {upcoming[0]} ({money(upcoming[1])})."
    if customer.plus_active:
        text += " You're also an Acme Plus member."
    return text


def plus_reply(customer: Customer, today: date, text: str = "") -> str:
    """Acme Plus's status, renewal and amount due; how it was last paid when the question asks."""
    status = plus_status(customer, today)
    plus = customer.acme_plus
    if plus is None or not text or not ASKS_BILLING.search(text) or plus.last_payment is None:
        return status
    paid = plus.last_payment
    method = METHOD_WORDS.get(paid.method, paid.method)
    card = f" ending {paid.last4}" if paid.last4 else ""
    return (
        f"{status} It is billed to {method}{card}: the last payment was {money(paid.amount)} on {long_date(paid.date)}."
    )


def two_factor_reply(customer: Customer) -> str:
    """How the customer's sign-in codes reach them."""
    two_factor = customer.two_factor
    if not two_factor.enabled:
        return "Two-factor authentication is not switched on for this account."
    phone = f" to your phone ending {customer.phone[-4:]}" if customer.phone else ""
    how = {
        "sms": f"by text message (SMS){phone}",
        "app": "from your authenticator app",
        "email": "by email",
    }.get(two_factor.method or "", f"by {two_factor.method}")
    return f"Two-factor authentication is on for your account: your sign-in codes come {how}."


def plus_status(customer: Customer, today: date) -> str:
    plus = customer.acme_plus
    if plus is None:
        return "You don't have Acme Plus. It's $49 a year: free express shipping, free returns and 60-day returns."
    if plus.status == "cancelled":
        ends = plus.ends_on or plus.renews_on
        return (
            "Your Acme Plus is cancelled"
            + (f"; your benefits continue until {long_date(ends)}" if ends else "")
            + ", and it won't renew."
        )
    if plus.status == "past_due" and plus.renews_on is not None:
        grace = plus.grace_ends_on or plus.renews_on + timedelta(days=14)
        extended = grace + timedelta(days=7)
        until = f"today, {long_date(grace)}" if grace == today else long_date(grace)
        return (
            f"Your Acme Plus renewal of {money(plus.amount_due)} is past due since {long_date(plus.renews_on)}. "
            f"Your benefits keep working during the grace period, until {until}; a one-time 7-day "
            f"extension would take it to {long_date(extended)}. You can pay under Account > Acme Plus > Pay now."
        )
    text = "Your Acme Plus is active"
    if plus.renews_on is not None:
        text += f" and renews on {long_date(plus.renews_on)} for {money(plus.plan_price)}"
    text += f"; amount due now: {money(plus.amount_due)}."
    by_day: dict[date, int] = {}
    for charge in plus.charges:
        by_day[charge.date] = by_day.get(charge.date, 0) + 1
    doubled = [day for day, count in by_day.items() if count > 1]
    if doubled:
        text += (
            f" I see two charges of {money(plus.plan_price)} on {long_date(doubled[-1])}: a posted duplicate is "
            "refunded within 2 business days, then takes 5-10 business days to reach your bank."
        )
    return text


def store_credit_reply(customer: Customer) -> str:
    if customer.store_credit <= 0:
        return "You have no store credit on your account right now ($0.00)."
    issued = [r.completed_on for r in customer.refunds if r.method == "store_credit" and r.completed_on]
    text = f"You have {money(customer.store_credit)} of store credit, under Account > Wallet > Store credit."
    if issued:
        expires = max(issued)
        text += f" It expires 12 months after it was issued: {long_date(expires.replace(year=expires.year + 1))}."
    else:
        text += " Each credit expires 12 months after it was issued."
    return text


def payment_methods_reply(customer: Customer, today: date) -> str:
    """The cards and PayPal accounts saved on the account, the default first, with any expired."""
    methods = sorted(customer.payment_methods, key=lambda m: not m.default)
    if not methods:
        return "You have no card or PayPal account saved on your account; you can add one under Account > Wallet."
    described = []
    for method in methods:
        if method.type == "paypal":
            name = "PayPal"
        else:
            kind = method.type.replace("_", " ")
            name = f"{method.brand} {kind}" if method.brand else kind
            name += f" ending {method.last4}" if method.last4 else ""
            if method.expires:
                name += f" ({'expired' if card_expired(method.expires, today) else 'expires'} {method.expires})"
        described.append(f"{name}{' (default)' if method.default else ''}")
    listed = described[0] if len(described) == 1 else f"{', '.join(described[:-1])} and {described[-1]}"
    return f"Saved on your account: {listed}. You can change them under Account > Wallet."


def card_expired(expires: str, today: date) -> bool:
    """Whether a card's MM/YY expiry is past (a card is good through the end of its month)."""
    try:
        month, year = (int(part) for part in expires.split("/"))
    except ValueError:
        return False
    return (2000 + year if year < 100 else year, month) < (today.year, today.month)


def gift_card_reply(customer: Customer, today: date) -> str:
    if not customer.gift_cards:
        return (
            "I don't see a gift card saved in your account wallet. You can check any card at acmebrands.com/giftcard."
        )
    sentences = []
    for card in customer.gift_cards:
        ending = card.code[-4:]
        if card.expires is not None and card.expires < today:
            extra = " Expired promotional balances can't be restored." if card.type == "promotional" else ""
            sentences.append(
                f"Your {card.type} gift card ending {ending} ({money(card.balance)}) expired on "
                f"{long_date(card.expires)}.{extra}"
            )
        else:
            until = f", valid until {long_date(card.expires)}" if card.expires else ""
            sentences.append(f"Your gift card ending {ending} has {money(card.balance)}{until}.")
    return " ".join(sentences)


def return_offer(customer: Customer, order: Order, today: date) -> tuple[str, bool]:
    """What a return of ``order`` would mean, and whether it may start."""
    refusal = rules.check_return(customer, order, (), today)
    if refusal is not None:
        return refusal.reason, False
    deadline = rules.return_deadline(customer, order)
    fee = rules.return_label_fee(customer, order)
    label = f"the UPS label is {money(fee)}, taken off your refund" if fee else "the UPS label is free"
    until = f" until {long_date(deadline)}" if deadline else ""
    return (
        f"Order {order.order_id} ({items_words(order)}) can be returned{until}; {label}, and you'd have 14 days "
        "to ship it. Shall I start the return?",
        True,
    )


# Deadlines the help center sets from the delivery date (damaged-or-missing-items,
# missing-package, wrong-item-received, boot-warranty).
DAMAGE_DAYS = 14
WRONG_ITEM_DAYS = 30
WARRANTY_DAYS = 365


def order_problem_reply(customer: Customer, order: Order, text: str, today: date) -> str:
    """A delivered order with a problem: the deadline that applies to it, and what happens next."""
    delivered = order.shipping.delivered_on
    head = f"Your order {order.order_id} ({items_words(order)})"
    if delivered is None:
        return order_status_reply(customer, order, today)
    plain = text.lower()
    wrong_one = re.search(r"\bordered\b.{0,50}\b(?:got|received|came|showed up|arrived|sent)\b", plain)
    # more than they wanted ("got 3 packs but only wanted one") is extra items: the wrong-item rule
    more = re.search(r"\b(?:only|just) (?:wanted|ordered|asked for)\b|\bmore than\b", plain)
    if wrong_one or more or re.search(r"wrong|size|colou?r|different|instead|quantity|too many|extra", plain):
        until = delivered + timedelta(days=WRONG_ITEM_DAYS)
        rule = (
            f"A wrong item, colour, size or extra items can be reported until {long_date(until)} (30 days after "
            "delivery): we ship the right one by free express and email a free return label."
        )
    elif re.search(r"warrant|sole|stitch|zip|broke after|fell apart|defect", plain) and any(
        i.category == "boots" or "boot" in i.name.lower() for i in order.items
    ):
        until = delivered + timedelta(days=WARRANTY_DAYS)
        rule = (
            f"Your boots are under warranty until {long_date(until)} (1 year from delivery) against defects: "
            "we decide within 3 business days and repair, replace or give store credit."
        )
    else:
        until = delivered + timedelta(days=DAMAGE_DAYS)
        rule = (
            f"A damaged or missing item or package can be reported until {long_date(until)} (14 days after "
            "delivery); for a package marked delivered, wait 48 hours first. We send a replacement by free "
            "express or refund it in full."
        )
    if today > until:
        rule = rule.replace("can be reported until", "could be reported until").replace(
            "are under warranty until", "were under warranty until"
        )
    counted = re.search(
        r"\b(?:only|just) (?:ordered|wanted|bought)\b|quantity|how many|too many|\b(?:one|two|three|four|\d+) "
        r"(?:packs?|pairs?|of them)\b",
        plain,
    )
    held = f" {item_details(order)}" if counted or ASKS_ITEMS.search(text) else ""  # what the record says was ordered
    return f"{head} was delivered on {long_date(delivered)}.{held} {rule}"

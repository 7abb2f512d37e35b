"""The help center's rules for the actions the bot may take, as pure checks.

Each ``check_*`` returns None when the action is allowed, or a :class:`Refusal` with a stable code
and the sentence the customer is told (the rule's article says the same). The dialogue checks
before it asks the customer to confirm; the backend checks again before it acts.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from warmline.shop.records import Address, Customer, Order

RETURN_DAYS = 30  # returns-window
PLUS_RETURN_DAYS = 60
HOLIDAY_DELIVERED = (date(2026, 11, 1), date(2026, 12, 24))
HOLIDAY_RETURN_UNTIL = date(2027, 1, 31)
SHIP_WITHIN_DAYS = 14  # start-a-return
LABEL_FEE = 5.99  # return-label-costs: guest and bronze, US
INTERNATIONAL_LABEL_FEE = 19.99
RETURNABLE = ("delivered", "partially_returned")
IN_TRANSIT = ("shipped", "delayed", "out_for_delivery")
# What the customer can still do, by status (cancel-order): a delivered order is returned, not refused.
AFTER_CANCEL = {
    **dict.fromkeys(IN_TRANSIT, ": you can refuse the delivery or return it once it arrives."),
    **dict.fromkeys(RETURNABLE, ": you can return it instead."),
}
AFTER_ADDRESS = "; the carrier's redirect service, refusing the delivery or a return are the options."


@dataclass(frozen=True)
class Refusal:
    code: str
    reason: str  # said to the customer
    article_id: str


def raise_if(refusal: Refusal | None) -> None:
    from warmline.shop.backend import StoreRefused

    if refusal is not None:
        raise StoreRefused(refusal.reason, code=refusal.code, details={"article_id": refusal.article_id})


def check_cancel(order: Order) -> Refusal | None:
    if order.status != "processing":
        return Refusal(
            "order_not_processing",
            f"Order {order.order_id} is {status_words(order.status)}, so it can't be cancelled anymore"
            + AFTER_CANCEL.get(order.status, "."),
            "cancel-order",
        )
    if any(item.personalization for item in order.items):
        return Refusal(
            "personalized_item",
            "Monogrammed or personalized items can only be cancelled within 1 hour of ordering.",
            "cancel-order",
        )
    return None


def check_address_change(order: Order, address: Address | None = None) -> Refusal | None:
    if order.status != "processing":
        return Refusal(
            "order_not_processing",
            f"Order {order.order_id} is {status_words(order.status)}, so its address can't be changed anymore"
            + (AFTER_ADDRESS if order.status in IN_TRANSIT else "."),
            "change-order-address",
        )
    current = order.shipping.address
    if address is not None and current is not None and address.country != current.country:
        return Refusal(
            "other_country",
            "The new address must be in the same country; to ship abroad, cancel and place a new order.",
            "change-order-address",
        )
    return None


def return_deadline(customer: Customer, order: Order) -> date | None:
    delivered = order.shipping.delivered_on
    if delivered is None:
        return None
    days = PLUS_RETURN_DAYS if customer.plus_active else RETURN_DAYS
    deadline = delivered + timedelta(days=days)
    if HOLIDAY_DELIVERED[0] <= delivered <= HOLIDAY_DELIVERED[1]:
        deadline = max(deadline, HOLIDAY_RETURN_UNTIL)
    return deadline


def check_return(customer: Customer, order: Order, skus: tuple[str, ...], today: date) -> Refusal | None:
    if order.status not in RETURNABLE:
        return Refusal(
            "not_delivered",
            f"Order {order.order_id} is {status_words(order.status)}; a return can start once it is delivered.",
            "start-a-return",
        )
    deadline = return_deadline(customer, order)
    if deadline is not None and today > deadline:
        return Refusal(
            "return_window_closed",
            f"The return window for order {order.order_id} closed on {long_date(deadline)}.",
            "returns-window",
        )
    chosen = [i for i in order.items if not skus or i.sku in skus]
    if not chosen:
        return Refusal("unknown_item", f"That item is not in order {order.order_id}.", "start-a-return")
    final = [i.name for i in chosen if i.final_sale or i.personalization or f"{i.price:.2f}".endswith(".97")]
    if final:
        return Refusal(
            "final_sale",
            f"{', '.join(final)} is final sale, so it can't be returned unless it arrived damaged, defective or wrong.",
            "return-conditions",
        )
    return None


def return_ship_by(today: date) -> date:
    return today + timedelta(days=SHIP_WITHIN_DAYS)


def return_label_fee(customer: Customer, order: Order) -> float:
    address = order.shipping.address
    if address is not None and address.country != "US":
        return INTERNATIONAL_LABEL_FEE
    if customer.plus_active or customer.membership.level in ("silver", "gold"):
        return 0.0
    return LABEL_FEE


def check_2fa_reset(customer: Customer) -> Refusal | None:
    if not customer.two_factor.enabled:
        return Refusal(
            "two_factor_off", "Two-factor authentication is not switched on for this account.", "two-factor-reset"
        )
    if not customer.email:
        return Refusal("no_email", "There is no email address on the account to send a code to.", "two-factor-reset")
    return None


def masked_email(email: str) -> str:
    name, _, domain = email.partition("@")
    return f"{name[:1]}***@{domain}" if domain else "the email on your account"


STATUS_WORDS = {
    "processing": "still processing",
    "shipped": "already shipped",
    "out_for_delivery": "out for delivery",
    "delivered": "already delivered",
    "delayed": "delayed",
    "cancelled": "cancelled",
    "returned": "returned",
    "partially_returned": "partially returned",
}


def status_words(status: str) -> str:
    return STATUS_WORDS.get(status, status.replace("_", " "))


def long_date(day: date) -> str:
    """ "November 20, 2026": how the help center writes dates."""
    return f"{day:%B} {day.day}, {day.year}"

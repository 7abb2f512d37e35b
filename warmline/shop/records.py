"""The store's records as the bot sees them: customers, orders, refunds, Acme Plus, gift cards.

The shape is the demo pack's ``store/backend.json`` (and what an HTTP store backend returns).
Fields a store does not send default to empty; unknown extra fields are kept out (``ignore``), so
a store adding fields never breaks the bot.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, ConfigDict


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


class Address(_Record):
    street: str = ""
    city: str = ""
    state: str = ""
    zip_code: str = ""
    country: str = "US"

    def line(self) -> str:
        return ", ".join(p for p in (self.street, self.city, f"{self.state} {self.zip_code}".strip()) if p)


class Item(_Record):
    sku: str
    name: str
    category: str = ""
    size: str | None = None
    color: str | None = None
    price: float = 0.0
    qty: int = 1
    final_sale: bool = False
    gift_wrap: bool = False
    personalization: str | None = None


class Shipping(_Record):
    method: str = "standard"
    cost: float = 0.0
    carrier: str | None = None
    tracking: str | None = None
    eta: date | None = None
    delivered_on: date | None = None
    address: Address | None = None


class Fee(_Record):
    name: str
    amount: float


class Payment(_Record):
    type: str
    last4: str | None = None


class Order(_Record):
    order_id: str
    placed_on: date
    status: str  # processing, shipped, out_for_delivery, delivered, delayed, cancelled, returned, partially_returned
    items: tuple[Item, ...] = ()
    subtotal: float = 0.0
    discount: float = 0.0
    promo_code: str | None = None
    shipping: Shipping = Shipping()
    fees: tuple[Fee, ...] = ()
    tax: float = 0.0
    total: float = 0.0
    payment: Payment | None = None


class Refund(_Record):
    refund_id: str
    order_id: str
    amount: float
    method: str
    status: str  # requested, approved, sent, completed, rejected
    requested_on: date | None = None
    completed_on: date | None = None
    reason: str = ""
    items: tuple[str, ...] = ()
    note: str = ""


class Charge(_Record):
    date: date
    amount: float
    description: str = ""


class PlusPayment(_Record):
    """How Acme Plus was last paid: the method it is billed to."""

    date: date
    amount: float
    method: str  # credit_card, debit_card, paypal
    last4: str | None = None


class AcmePlus(_Record):
    status: str  # active, past_due, cancelled
    plan_price: float = 49.0
    renews_on: date | None = None
    ends_on: date | None = None
    amount_due: float = 0.0
    grace_ends_on: date | None = None
    last_payment: PlusPayment | None = None
    charges: tuple[Charge, ...] = ()


class GiftCard(_Record):
    code: str
    balance: float
    expires: date | None = None
    type: str = "purchased"  # purchased or promotional


class Membership(_Record):
    level: str = "guest"
    yearly_spend: float = 0.0


class PaymentMethod(_Record):
    type: str
    brand: str | None = None
    last4: str | None = None
    expires: str | None = None
    default: bool = False


class TwoFactor(_Record):
    enabled: bool = False
    method: str | None = None


class Customer(_Record):
    customer_id: str
    name: str
    username: str = ""
    email: str = ""
    phone: str = ""
    address: Address = Address()
    membership: Membership = Membership()
    acme_plus: AcmePlus | None = None
    payment_methods: tuple[PaymentMethod, ...] = ()
    store_credit: float = 0.0
    gift_cards: tuple[GiftCard, ...] = ()
    orders: tuple[Order, ...] = ()
    refunds: tuple[Refund, ...] = ()
    two_factor: TwoFactor = TwoFactor()

    def order(self, order_id: str) -> Order | None:
        return next((o for o in self.orders if o.order_id.upper() == order_id.upper()), None)

    @property
    def plus_active(self) -> bool:
        return self.acme_plus is not None and self.acme_plus.status in ("active", "past_due")

    def account_record(self) -> dict[str, object]:
        """The account as the handoff payload shows it (``id`` and ``name`` first)."""
        data = self.model_dump(mode="json")
        return {
            **data,
            "id": self.customer_id,
            "membership": self.membership.level,
            "yearly_spend": self.membership.yearly_spend,
        }

"""``StoreBackend``: the store's systems as the bot's tools, and the demo pack's JSON twin.

Reads find and verify a customer and return their typed record (orders, refunds, Acme Plus,
gift cards, store credit). Actions change something (cancel a processing order, change its
address, start a return, send a 2FA reset code); the help center's rules are checked first
(:mod:`warmline.shop.rules`) and a refusal says which rule, with a stable code. A deployment
plugs in its own order system with :class:`warmline.shop.http.HttpStoreBackend`.
"""

from __future__ import annotations

import json
import threading
from datetime import date
from pathlib import Path
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from warmline.errors import WarmlineError
from warmline.shop import rules
from warmline.shop.records import Address, Customer, Order
from warmline.shop.topics import phone_digits, same_postal_code

BACKEND_FILE = "store/backend.json"


class StoreRefused(WarmlineError):
    """The store will not do this (a help-center rule, or the store's own answer)."""

    code = "store_refused"
    status = 409


class StoreUnavailable(WarmlineError):
    """The store's systems could not be reached or answered nonsense."""

    code = "store_unavailable"
    status = 502


class ActionDone(BaseModel):
    """What an action did, as the bot tells it and the log records it."""

    model_config = ConfigDict(frozen=True)

    action: str  # cancel_order, change_address, start_return, send_2fa_code
    customer_id: str
    order_id: str | None = None
    reference: str | None = None  # return authorization, reset request ...
    details: dict[str, str] = {}


class StoreBackend(Protocol):
    """The store's systems. Implementations are thread-safe."""

    name: str

    def today(self) -> date: ...

    def customer(self, customer_id: str) -> Customer | None: ...

    def find_customers(
        self,
        *,
        email: str | None = None,
        order_id: str | None = None,
        zip_code: str | None = None,
        username: str | None = None,
        phone: str | None = None,
    ) -> list[Customer]: ...

    def cancel_order(self, customer_id: str, order_id: str) -> ActionDone: ...

    def change_address(self, customer_id: str, order_id: str, address: Address) -> ActionDone: ...

    def start_return(self, customer_id: str, order_id: str, skus: tuple[str, ...]) -> ActionDone: ...

    def send_2fa_code(self, customer_id: str) -> ActionDone: ...


class JsonStoreBackend:
    """The demo store: ``backend.json`` loaded once; actions change this process's copy only."""

    name = "demo"

    def __init__(self, customers: list[Customer], today: date) -> None:
        self._loaded = {c.customer_id: c for c in customers}
        self._customers = dict(self._loaded)
        self._today = today
        self._lock = threading.Lock()
        self._returns = 0

    def restore(self) -> None:
        """Back to the records as loaded, undoing every action since (evaluations play each case
        on the demo store as it is on its "today", whatever an earlier case cancelled)."""
        with self._lock:
            self._customers = dict(self._loaded)
            self._returns = 0

    @classmethod
    def from_file(cls, path: Path) -> JsonStoreBackend:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            customers = [Customer.model_validate(c) for c in data["customers"]]
            today = date.fromisoformat(data["store"]["today"]) if data.get("store", {}).get("today") else date.today()
        except (OSError, ValueError, KeyError) as error:
            raise StoreUnavailable(f"{path}: unreadable store data ({error})", code="store_data_invalid") from None
        return cls(customers, today)

    def today(self) -> date:
        return self._today

    def customer(self, customer_id: str) -> Customer | None:
        return self._customers.get(customer_id)

    def customers(self) -> list[Customer]:
        return list(self._customers.values())

    def find_customers(
        self,
        *,
        email: str | None = None,
        order_id: str | None = None,
        zip_code: str | None = None,
        username: str | None = None,
        phone: str | None = None,
    ) -> list[Customer]:
        found = []
        for customer in self._customers.values():
            if email and customer.email.lower() == email.lower():
                found.append(customer)
            elif order_id and customer.order(order_id) is not None:
                found.append(customer)
            elif zip_code and same_postal_code(customer.address.zip_code, zip_code):
                found.append(customer)
            elif username and customer.username and customer.username.lower() == username.lower():
                found.append(customer)
            elif phone and customer.phone and phone_digits(customer.phone) == phone_digits(phone):
                found.append(customer)
        return found

    def _order(self, customer_id: str, order_id: str) -> tuple[Customer, Order]:
        customer = self._customers.get(customer_id)
        order = customer.order(order_id) if customer else None
        if customer is None or order is None:
            raise StoreRefused(f"no order {order_id} for this customer", code="unknown_order")
        return customer, order

    def _replace_order(self, customer: Customer, order: Order) -> None:
        orders = tuple(order if o.order_id == order.order_id else o for o in customer.orders)
        self._customers[customer.customer_id] = customer.model_copy(update={"orders": orders})

    def cancel_order(self, customer_id: str, order_id: str) -> ActionDone:
        with self._lock:
            customer, order = self._order(customer_id, order_id)
            rules.raise_if(rules.check_cancel(order))
            self._replace_order(customer, order.model_copy(update={"status": "cancelled"}))
        return ActionDone(action="cancel_order", customer_id=customer_id, order_id=order.order_id)

    def change_address(self, customer_id: str, order_id: str, address: Address) -> ActionDone:
        with self._lock:
            customer, order = self._order(customer_id, order_id)
            rules.raise_if(rules.check_address_change(order, address))
            shipping = order.shipping.model_copy(update={"address": address})
            self._replace_order(customer, order.model_copy(update={"shipping": shipping}))
        return ActionDone(
            action="change_address", customer_id=customer_id, order_id=order.order_id, details={"to": address.line()}
        )

    def start_return(self, customer_id: str, order_id: str, skus: tuple[str, ...]) -> ActionDone:
        with self._lock:
            customer, order = self._order(customer_id, order_id)
            rules.raise_if(rules.check_return(customer, order, skus, self._today))
            self._returns += 1
            reference = f"RA-{order.order_id[-5:]}-{self._returns:02d}"
        ship_by = rules.return_ship_by(self._today)
        fee = rules.return_label_fee(customer, order)
        return ActionDone(
            action="start_return",
            customer_id=customer_id,
            order_id=order.order_id,
            reference=reference,
            details={"ship_by": ship_by.isoformat(), "label_fee": f"{fee:.2f}", "items": ",".join(skus)},
        )

    def send_2fa_code(self, customer_id: str) -> ActionDone:
        customer = self._customers.get(customer_id)
        if customer is None:
            raise StoreRefused("no such customer", code="unknown_customer")
        rules.raise_if(rules.check_2fa_reset(customer))
        return ActionDone(
            action="send_2fa_code", customer_id=customer_id, details={"sent_to": rules.masked_email(customer.email)}
        )


def demo_backend(pack_path: Path) -> JsonStoreBackend | None:
    """The pack's demo store, or None when the pack ships none."""
    path = pack_path / BACKEND_FILE
    return JsonStoreBackend.from_file(path) if path.is_file() else None

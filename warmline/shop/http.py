"""A deployment's own order system as the bot's store, over HTTP with an injected ``httpx`` client.

The store serves this small REST contract (documented in docs/store-api.md; the shapes are the
records of :mod:`warmline.shop.records`):

=======================================================  =====================================
``GET  /customers/{customer_id}``                         a customer (404: none)
``GET  /customers?email=`` | ``?order_id=`` | ``?zip_code=``  ``{"customers": [...]}``
``POST /orders/{order_id}/cancel``                        ``{"customer_id"}``
``POST /orders/{order_id}/address``                       ``{"customer_id", "address"}``
``POST /returns``                                         ``{"customer_id", "order_id", "skus"}``
``POST /customers/{customer_id}/two-factor/reset-code``   ``{}``
=======================================================  =====================================

Actions answer ``{"action", "customer_id", "order_id", "reference", "details"}``; a refusal is a
409 with ``{"error": {"code", "message"}}``. The client's ``base_url``, auth headers and timeouts
are the deployment's (``WARMLINE_STORE_URL``, ``WARMLINE_STORE_TOKEN``).
"""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
from pydantic import ValidationError

from warmline.shop import rules
from warmline.shop.backend import ActionDone, StoreRefused, StoreUnavailable
from warmline.shop.records import Address, Customer


class HttpStoreBackend:
    name = "http"

    def __init__(self, client: httpx.Client, *, today: date | None = None) -> None:
        self._client = client
        self._today = today

    def today(self) -> date:
        return self._today or date.today()

    def _request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        try:
            return self._client.request(method, path, **kwargs)
        except httpx.HTTPError as error:
            raise StoreUnavailable(f"the store did not answer {method} {path}: {error}") from None

    def _json(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError:
            raise StoreUnavailable(
                f"the store answered {response.request.method} {response.request.url.path} with non-JSON"
            ) from None

    def _customer(self, data: Any) -> Customer:
        try:
            return Customer.model_validate(data)
        except ValidationError as error:
            raise StoreUnavailable(
                f"the store sent an unreadable customer record ({error.error_count()} errors)"
            ) from None

    def customer(self, customer_id: str) -> Customer | None:
        response = self._request("GET", f"/customers/{customer_id}")
        if response.status_code == 404:
            return None
        self._raise_for(response)
        return self._customer(self._json(response))

    def find_customers(
        self,
        *,
        email: str | None = None,
        order_id: str | None = None,
        zip_code: str | None = None,
        username: str | None = None,
        phone: str | None = None,
    ) -> list[Customer]:
        given = (
            ("email", email),
            ("order_id", order_id),
            ("zip_code", zip_code),
            ("username", username),
            ("phone", phone),
        )
        params = {k: v for k, v in given if v}
        if not params:
            return []
        response = self._request("GET", "/customers", params=params)
        self._raise_for(response)
        body = self._json(response)
        if not isinstance(body, dict) or not isinstance(body.get("customers"), list):
            raise StoreUnavailable('the store\'s customer search must answer {"customers": [...]}')
        return [self._customer(c) for c in body["customers"]]

    def _act(self, method_path: tuple[str, str], body: dict[str, Any]) -> ActionDone:
        response = self._request(*method_path, json=body)
        self._raise_for(response)
        try:
            return ActionDone.model_validate(self._json(response))
        except ValidationError:
            raise StoreUnavailable(f"the store's answer to {method_path[1]} is not an action result") from None

    def cancel_order(self, customer_id: str, order_id: str) -> ActionDone:
        return self._act(("POST", f"/orders/{order_id}/cancel"), {"customer_id": customer_id})

    def change_address(self, customer_id: str, order_id: str, address: Address) -> ActionDone:
        return self._act(
            ("POST", f"/orders/{order_id}/address"), {"customer_id": customer_id, "address": address.model_dump()}
        )

    def start_return(self, customer_id: str, order_id: str, skus: tuple[str, ...]) -> ActionDone:
        return self._act(("POST", "/returns"), {"customer_id": customer_id, "order_id": order_id, "skus": list(skus)})

    def send_2fa_code(self, customer_id: str) -> ActionDone:
        customer = self.customer(customer_id)
        if customer is None:
            raise StoreRefused("no such customer", code="unknown_customer")
        rules.raise_if(rules.check_2fa_reset(customer))
        return self._act(("POST", f"/customers/{customer_id}/two-factor/reset-code"), {})

    def _raise_for(self, response: httpx.Response) -> None:
        if response.status_code < 400:
            return
        if response.status_code in (409, 422):
            try:
                error = response.json()["error"]
                raise StoreRefused(str(error["message"]), code=str(error["code"]))
            except (ValueError, KeyError, TypeError):
                pass
            raise StoreRefused(f"the store refused ({response.status_code})")
        raise StoreUnavailable(
            f"the store answered {response.status_code} to {response.request.method} {response.request.url.path}"
        )

"""The store's systems as the bot's tools: the demo JSON store and a deployment's own order
system over HTTP (``httpx.MockTransport`` fed with the documented request/response shapes), and
the help center's rules for actions."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import httpx
import pytest

from warmline.packs import load_pack
from warmline.shop import rules
from warmline.shop.backend import JsonStoreBackend, StoreRefused, StoreUnavailable, demo_backend
from warmline.shop.http import HttpStoreBackend
from warmline.shop.records import Address

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def demo() -> JsonStoreBackend:
    store = demo_backend(load_pack("demo").path)
    assert store is not None
    return store


def test_the_demo_store_finds_customers_by_email_order_or_zip(demo: JsonStoreBackend) -> None:
    assert demo.today() == date(2026, 12, 1)
    assert [c.customer_id for c in demo.find_customers(email="MAYA.THOMPSON@example.com")] == ["cu_1001"]
    assert [c.customer_id for c in demo.find_customers(order_id="ab40317")] == ["cu_1001"]
    assert demo.find_customers(zip_code="00000") == []
    assert [c.customer_id for c in demo.find_customers(username="MBELL_ATL")] == ["cu_1004"]
    assert [c.customer_id for c in demo.find_customers(phone="(404) 555-0142")] == ["cu_1004"]
    customer = demo.customer("cu_1001")
    assert customer is not None and customer.order("AB40317").status == "delayed"  # type: ignore[union-attr]


def test_a_processing_order_can_be_cancelled_once_and_a_shipped_one_never(demo: JsonStoreBackend) -> None:
    done = demo.cancel_order("cu_1009", "AB42288")
    assert done.action == "cancel_order" and done.order_id == "AB42288"
    assert demo.customer("cu_1009").order("AB42288").status == "cancelled"  # type: ignore[union-attr]
    with pytest.raises(StoreRefused) as refused:
        demo.cancel_order("cu_1009", "AB42288")
    assert refused.value.code == "order_not_processing"
    with pytest.raises(StoreRefused) as shipped:
        demo.cancel_order("cu_1010", "AB42107")
    assert shipped.value.code == "order_not_processing"
    with pytest.raises(StoreRefused) as unknown:
        demo.cancel_order("cu_1010", "AB40317")  # another customer's order
    assert unknown.value.code == "unknown_order"


def test_returns_follow_the_window_and_final_sale_rules(demo: JsonStoreBackend) -> None:
    today = demo.today()
    customer = demo.customer("cu_1002")
    assert customer is not None
    order = customer.order("AB41562")
    assert order is not None
    assert rules.return_deadline(customer, order) == date(2027, 1, 31)  # delivered Nov 28: holiday window
    done = demo.start_return("cu_1002", "AB41562", ())
    assert done.reference and done.details["ship_by"] == "2026-12-15"
    olivia = demo.customer("cu_1017")
    assert olivia is not None
    clearance = next(o for o in olivia.orders if any(f"{i.price:.2f}".endswith(".97") for i in o.items))
    refusal = rules.check_return(olivia, clearance, (), today)
    assert refusal is not None and refusal.code in ("final_sale", "return_window_closed")


def test_an_address_change_stays_in_the_same_country(demo: JsonStoreBackend) -> None:
    with pytest.raises(StoreRefused) as refused:
        demo.change_address("cu_1009", "AB42288", Address(street="1 Rue", city="Paris", country="FR"))
    assert refused.value.code == "other_country"
    done = demo.change_address("cu_1009", "AB42288", Address(street="9 Elm St", city="Dayton", state="OH"))
    assert done.details["to"].startswith("9 Elm St")


def test_a_2fa_reset_code_goes_to_the_masked_email(demo: JsonStoreBackend) -> None:
    done = demo.send_2fa_code("cu_1001")
    assert done.details["sent_to"] == "m***@example.com"


def _store_server(requests: list[httpx.Request]) -> httpx.MockTransport:
    customer = json.loads((FIXTURES / "store_api_customer.json").read_text())

    def handle(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        path = request.url.path
        if request.headers.get("authorization") != "Bearer s3cret":
            return httpx.Response(401, json={"error": {"code": "unauthorized", "message": "no token"}})
        if path == "/api/customers/cu_9" and request.method == "GET":
            return httpx.Response(200, json=customer)
        if path.startswith("/api/customers/") and request.method == "GET":
            return httpx.Response(404, json={"error": {"code": "not_found", "message": "no such customer"}})
        if path == "/api/customers" and request.method == "GET":
            found = request.url.params.get("email") == customer["email"]
            return httpx.Response(200, json={"customers": [customer] if found else []})
        if path == "/api/orders/AB90001/cancel":
            return httpx.Response(
                200, json={"action": "cancel_order", "customer_id": "cu_9", "order_id": "AB90001", "details": {}}
            )
        if path == "/api/orders/AB90002/cancel":
            return httpx.Response(409, json={"error": {"code": "order_not_processing", "message": "already shipped"}})
        return httpx.Response(500, text="boom")

    return httpx.MockTransport(handle)


def test_the_http_store_reads_and_acts_through_the_injected_client() -> None:
    requests: list[httpx.Request] = []
    client = httpx.Client(
        base_url="https://orders.example.com/api/",
        headers={"Authorization": "Bearer s3cret"},
        transport=_store_server(requests),
    )
    store = HttpStoreBackend(client, today=date(2026, 12, 1))
    customer = store.customer("cu_9")
    assert customer is not None and customer.orders[0].items[0].name == "Selvedge Jeans"
    assert store.customer("cu_404") is None
    assert [c.customer_id for c in store.find_customers(email="kim@example.com")] == ["cu_9"]
    assert store.find_customers(username="kim_l") == []
    assert requests[-1].url.params["username"] == "kim_l"
    assert store.find_customers() == []
    assert store.cancel_order("cu_9", "AB90001").order_id == "AB90001"
    assert json.loads(requests[-1].content) == {"customer_id": "cu_9"}
    with pytest.raises(StoreRefused) as refused:
        store.cancel_order("cu_9", "AB90002")
    assert refused.value.code == "order_not_processing"
    with pytest.raises(StoreUnavailable):
        store.start_return("cu_9", "AB90001", ("JN-1",))


def test_an_unreachable_store_is_unavailable_not_a_crash() -> None:
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    store = HttpStoreBackend(httpx.Client(base_url="https://orders.example.com", transport=httpx.MockTransport(down)))
    with pytest.raises(StoreUnavailable, match="did not answer"):
        store.customer("cu_9")

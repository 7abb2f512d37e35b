"""The configured pack's demo accounts, loaded so that demo conversations have an account to show."""

from __future__ import annotations

from typing import TYPE_CHECKING

from warmline.packs import load_pack

if TYPE_CHECKING:
    from warmline.conversation.actions import Services


def load_demo_data(services: Services) -> int:
    """Load the pack's accounts into the store (existing ones are updated); returns how many.
    The demo store's customers are accounts too, so a conversation can start on one of them."""
    from warmline.shop.backend import demo_backend

    pack = load_pack(services.settings.pack)
    accounts = list(pack.accounts.values())
    store = demo_backend(pack.path)
    if store is not None:
        accounts += [c.account_record() for c in store.customers()]
    return services.store.upsert_accounts(accounts) if accounts else 0

"""Admin operations on accounts and client keys, shared by the CLI and (later) an admin API and console.

Operations are async functions over an open `gemgate.store.Store`; they validate their input, return
views that never hold a credential, raise AdminError (NotFound, Conflict) and never print.
"""

from __future__ import annotations

from .accounts import (
    DISABLED_BY_HAND,
    add_account,
    check_new_account,
    default_account_name,
    disable_account,
    enable_account,
    get_account,
    list_accounts,
    remove_account,
    reset_cooldowns,
    verify_credential,
)
from .errors import AdminError, Conflict, Malformed, NotFound
from .keys import create_key, ensure_client_key, import_key, list_keys, revoke_key
from .validate import check_kind, check_name, check_proxy, check_secret, redact_proxy
from .views import AccountView, CooldownView, KeyView, QuotaView

__all__ = [
    "DISABLED_BY_HAND",
    "AccountView",
    "AdminError",
    "Conflict",
    "QuotaView",
    "CooldownView",
    "KeyView",
    "Malformed",
    "NotFound",
    "add_account",
    "check_new_account",
    "check_kind",
    "check_name",
    "check_proxy",
    "check_secret",
    "create_key",
    "default_account_name",
    "disable_account",
    "enable_account",
    "ensure_client_key",
    "get_account",
    "import_key",
    "list_accounts",
    "list_keys",
    "redact_proxy",
    "remove_account",
    "reset_cooldowns",
    "revoke_key",
    "verify_credential",
]

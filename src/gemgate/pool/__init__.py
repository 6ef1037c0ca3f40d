"""The account pool: selection, cooldowns and write-behind of account state (see pool.py)."""

from .account import ACCOUNT_WIDE, Account, Cooldown
from .pool import Lease, Pool, no_usable_account

__all__ = ["ACCOUNT_WIDE", "Account", "Cooldown", "Lease", "Pool", "no_usable_account"]

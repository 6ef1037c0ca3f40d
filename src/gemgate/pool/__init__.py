"""The account pool: selection, cooldowns and write-behind of account state (see pool.py)."""

from .account import Account, Cooldown
from .pool import Lease, Pool, no_usable_account

__all__ = ["Account", "Cooldown", "Lease", "Pool", "no_usable_account"]

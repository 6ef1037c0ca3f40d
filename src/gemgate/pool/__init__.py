from .account import Account, Cooldown
from .pool import Lease, Pool

__all__ = ["Account", "Cooldown", "Lease", "Pool"]

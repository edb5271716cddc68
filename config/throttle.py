"""Counting events per key in the cache, for limits such as "three password-reset e-mails an hour"."""

import hashlib
import time

from django.core.cache import cache


def allow(kind: str, key: str, limit: int, period: int = 3600) -> bool:
    """Count one more event of `kind` for `key`; whether it is within `limit` in the current `period` (seconds).

    The key is hashed: addresses and e-mail addresses are not kept in the cache as they are.
    """
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    window = int(time.time() // period)
    cache_key = f"throttle:{kind}:{digest}:{window}"
    cache.add(cache_key, 0, timeout=period)
    try:
        count = cache.incr(cache_key)
    except ValueError:  # expired between add and incr
        cache.set(cache_key, 1, timeout=period)
        count = 1
    return count <= limit

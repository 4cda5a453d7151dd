"""The cache after the rename: remove only this application's stale keys, never FLUSHALL / FLUSHDB.

The guide's ``redis-cli FLUSHALL`` empties every database of the Redis server:
sessions, queues and every other application's keys with it. After the rename
two kinds of keys may hold rows shaped like prosumer:

* Django's own keys (``<KEY_PREFIX>:<VERSION>:<key>``) written by the previous
  deploy: the new deploy bumps ``CACHE_VERSION`` so it never reads them, and
  this removes every key of this prefix whose version is not the current one;
* keys the old backend wrote under its own names (``prosumer:*`` by default,
  ``ENERLINK_LEGACY_CACHE_PATTERNS``): removed by pattern.

Keys are found with ``SCAN`` (which never blocks the server the way ``KEYS``
does) in the Redis database of ``CACHE_URL`` only, and removed with ``UNLINK``
(freed in the background), a batch at a time. Running it again finds nothing
more to remove.
"""

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.base import default_key_func
from django.core.cache.backends.redis import RedisCache

BATCH = 1000


class NotRedis(Exception):
    """The cache is not a Redis cache: nothing is shared between processes, so nothing to clear."""


class UnsafePattern(Exception):
    """A pattern that does not start with literal text could match every key of the database."""


class CacheUnreachable(Exception):
    """Redis could not be reached or refused a command; nothing more was removed."""


@dataclass
class Sweep:
    location: str
    database: int
    prefix: str
    version: int
    include_current: bool
    dry_run: bool
    django_keys: int = 0
    legacy_keys: dict = field(default_factory=dict)

    def describe(self):
        verb = "would remove" if self.dry_run else "removed"
        versions = "every version" if self.include_current else f"versions other than {self.version}"
        parts = [f"{self.django_keys:,} key(s) of prefix {self.prefix!r} ({versions})"] if self.prefix else []
        parts += [f"{count:,} key(s) matching {pattern!r}" for pattern, count in self.legacy_keys.items()]
        return (
            f"{verb} {' and '.join(parts) or 'nothing'} in Redis database {self.database} at "
            f"{self.location}; no other key was touched (no FLUSHDB, no FLUSHALL)"
        )


def masked(url):
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.rsplit("@", 1)
    return urlunsplit(parts._replace(netloc=f"{netloc[0].split(':')[0]}:***@{netloc[1]}"))


def glob_escape(text):
    """``text`` as a literal inside a Redis glob pattern."""
    return re.sub(r"([*?\[\]\\])", r"\\\1", text)


def check_patterns(patterns):
    """Refuse patterns that do not start with literal text: ``*`` would do what FLUSHDB does."""
    for pattern in patterns:
        if not pattern or pattern[0] in "*?[\\":
            raise UnsafePattern(
                f"pattern {pattern!r} does not start with literal text, so it could match every key of the "
                "database; give the old backend's prefix, e.g. 'prosumer:*'; nothing was removed"
            )


def remove(client, keys, dry_run):
    """Remove ``keys`` (an iterable), a batch per UNLINK; return how many there were."""
    count, batch = 0, []
    for key in keys:
        batch.append(key)
        if len(batch) == BATCH:
            count += len(batch) if dry_run else client.unlink(*batch)
            batch = []
    if batch:
        count += len(batch) if dry_run else client.unlink(*batch)
    return count


def other_versions(client, prefix, version, include_current):
    """This application's Django keys whose version is not ``version`` (all of them with include_current)."""
    current = str(version).encode()
    start = len(prefix.encode()) + 1
    for key in client.scan_iter(match=f"{glob_escape(prefix)}:*", count=BATCH):
        key_version, separator, _ = key[start:].partition(b":")
        if separator and (include_current or key_version != current):
            yield key


def clear_user_cache(alias="default", patterns=None, include_current=False, dry_run=False):
    """Remove the stale keys of the cache ``alias``; return a Sweep that says what was removed."""
    import redis

    backend = caches[alias]
    if not isinstance(backend, RedisCache):
        raise NotRedis(
            f"the cache is {type(backend).__name__} (CACHE_URL is unset): each process keeps its own, "
            "restarting them empties it; nothing to clear"
        )
    if backend.key_func is not default_key_func:
        raise NotRedis(
            "the cache has its own KEY_FUNCTION: this command cannot tell its keys' versions apart"
        )
    location = settings.CACHES[alias]["LOCATION"]
    servers = re.split("[;,]", location) if isinstance(location, str) else list(location)
    url = servers[0]  # the server Django writes to
    patterns = settings.ENERLINK_LEGACY_CACHE_PATTERNS if patterns is None else patterns
    check_patterns(patterns)
    client = redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=30)
    try:
        database = client.connection_pool.connection_kwargs.get("db", 0)
        sweep = Sweep(masked(url), database, backend.key_prefix, backend.version, include_current, dry_run)
        if backend.key_prefix:
            sweep.django_keys = remove(
                client, other_versions(client, backend.key_prefix, backend.version, include_current), dry_run
            )
        for pattern in patterns:
            sweep.legacy_keys[pattern] = remove(client, client.scan_iter(match=pattern, count=BATCH), dry_run)
    except redis.RedisError as error:
        raise CacheUnreachable(
            f"Redis at {masked(url)} failed: {str(error).rstrip('.')}; start Redis or fix CACHE_URL, "
            "then run this again"
        ) from error
    finally:
        client.close()
    return sweep

"""The cache without FLUSHALL, against the real Redis at 127.0.0.1:6379.

Keys are written the way each party writes them (Django's cache API in a
``manage.py`` subprocess, the old backend's with plain SET), then
``manage.py clear_user_cache`` runs as a deploy runs it. Every key carries a
prefix unique to the test and lives in databases 13 and 14 only, so parallel
runs and other users of this Redis are not disturbed; keys expire within the
hour if a test dies half way.
"""

import os
import uuid

import pytest
import redis

from enerlink.devtools import scratch

REDIS_URL = "redis://127.0.0.1:6379"
APP_DB, OTHER_DB = 13, 14
HOW_TO_START = (
    "Redis is not reachable at 127.0.0.1:6379 ({error}). Start it: redis-server --daemonize yes "
    '--bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis '
    "--logfile /var/log/redis/ci.log (.ci/run starts it when it is down)"
)
TTL = 3600
LEGACY_KEYS = 2500  # more than one SCAN batch and one UNLINK batch


@pytest.fixture
def redis_db():
    """(client of the application's database, client of another database, unique tag); keys removed after."""
    app, other = (
        redis.Redis.from_url(f"{REDIS_URL}/{db}", socket_connect_timeout=3) for db in (APP_DB, OTHER_DB)
    )
    try:
        app.ping()
    except redis.RedisError as error:
        pytest.fail(HOW_TO_START.format(error=error))
    tag = f"t{uuid.uuid4().hex[:10]}"
    yield app, other, tag
    for client in (app, other):
        keys = list(client.scan_iter(match=f"{tag}*", count=1000))
        if keys:
            client.unlink(*keys)
        client.close()


def manage(*args, env):
    return scratch.run_manage(*args, env=env, timeout=120)


def cache_env(tag, version, **extra):
    return {
        "CACHE_URL": f"{REDIS_URL}/{APP_DB}",
        "CACHE_KEY_PREFIX": f"{tag}-enerlink",
        "CACHE_VERSION": str(version),
        "ENERLINK_LEGACY_CACHE_PATTERNS": f"{tag}-prosumer:*",
        **extra,
    }


def django_cache(tag, version, code):
    """Run ``code`` with ``cache`` (Django's default cache) in a manage.py shell; return its stdout."""
    result = manage(
        "shell",
        "--no-imports",
        "-c",
        f"from django.core.cache import cache\n{code}",
        env=cache_env(tag, version),
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def flushes(client):
    stats = client.info("commandstats")
    return {name: stats.get(f"cmdstat_{name}", {}).get("calls", 0) for name in ("flushall", "flushdb")}


def test_only_this_applications_stale_keys_go(redis_db):
    app, other, tag = redis_db
    # The previous deploy (CACHE_VERSION 1) and the new one (2) write through Django's cache API.
    django_cache(tag, 1, f"cache.set_many({{'user:p-alice': 'old shape', 'user:p-bob': 'old'}}, {TTL})")
    django_cache(tag, 2, f"cache.set('user:p-alice', 'new shape', {TTL})")
    # The old backend's own keys, another application's keys in the same database, and a database of its own.
    with app.pipeline() as pipe:
        for n in range(LEGACY_KEYS):
            pipe.set(f"{tag}-prosumer:p-{n}", "cached row", ex=TTL)
        pipe.set(f"{tag}-sessions:abc", "a session", ex=TTL)
        pipe.set(f"{tag}-otherapp:1:user:p-alice", "another app, Django layout", ex=TTL)
        pipe.set(f"{tag}-otherapp:prosumer:p-alice", "another app, same word", ex=TTL)
        pipe.execute()
    other.set(f"{tag}-prosumer:p-alice", "same pattern, another database", ex=TTL)
    other.set(f"{tag}-enerlink:1:user:p-alice", "same prefix, another database", ex=TTL)
    before = flushes(app)

    dry = manage("clear_user_cache", "--dry-run", env=cache_env(tag, 2))
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.startswith(
        f"would remove 2 key(s) of prefix '{tag}-enerlink' (versions other than 2) and "
    )
    assert len(list(app.scan_iter(match=f"{tag}*", count=1000))) == LEGACY_KEYS + 3 + 3

    result = manage("clear_user_cache", env=cache_env(tag, 2))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        f"removed 2 key(s) of prefix '{tag}-enerlink' (versions other than 2) and {LEGACY_KEYS:,} key(s) "
        f"matching '{tag}-prosumer:*' in Redis database {APP_DB} at {REDIS_URL}/{APP_DB}; "
        "no other key was touched (no FLUSHDB, no FLUSHALL)"
    )
    left = {key.decode() for key in app.scan_iter(match=f"{tag}*", count=1000)}
    assert left == {
        f"{tag}-enerlink:2:user:p-alice",
        f"{tag}-sessions:abc",
        f"{tag}-otherapp:1:user:p-alice",
        f"{tag}-otherapp:prosumer:p-alice",
    }
    assert other.get(f"{tag}-prosumer:p-alice") == b"same pattern, another database"
    assert other.get(f"{tag}-enerlink:1:user:p-alice") == b"same prefix, another database"
    assert django_cache(tag, 2, "print(cache.get('user:p-alice'))") == "new shape"
    assert flushes(app) == before, "FLUSHDB or FLUSHALL ran"

    again = manage("clear_user_cache", env=cache_env(tag, 2))
    assert again.stdout.startswith(f"removed 0 key(s) of prefix '{tag}-enerlink'"), again.stdout

    # Without a version bump, --include-current removes the current version's keys too, and only those.
    current = manage("clear_user_cache", "--include-current", env=cache_env(tag, 2))
    assert current.stdout.startswith(f"removed 1 key(s) of prefix '{tag}-enerlink' (every version)")
    assert django_cache(tag, 2, "print(cache.get('user:p-alice'))") == "None"
    assert app.get(f"{tag}-otherapp:1:user:p-alice") is not None


def test_unreachable_redis_and_a_bad_cache_url_are_one_line(redis_db):
    _, _, tag = redis_db
    down = manage("clear_user_cache", env=cache_env(tag, 1, CACHE_URL="redis://:s3cret@127.0.0.1:9/0"))
    assert down.returncode == 2
    assert down.stderr.strip().splitlines() == [
        "CommandError: Redis at redis://:***@127.0.0.1:9/0 failed: Error 111 connecting to 127.0.0.1:9. "
        "Connection refused; start Redis or fix CACHE_URL, then run this again"
    ]
    bad = manage("clear_user_cache", env=cache_env(tag, 1, CACHE_URL="memcached://cache.internal:11211"))
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines() == [
        "enerlink: CACHE_URL must be a Redis URL (redis://host:6379/0, rediss://... or unix://...), got "
        "'memcached://cache.internal:11211'; unset it for the local-memory cache."
    ]
    everything = manage("clear_user_cache", "--pattern", "*", env=cache_env(tag, 1))
    assert everything.returncode == 2
    assert everything.stderr.strip().splitlines() == [
        "CommandError: pattern '*' does not start with literal text, so it could match every key of the "
        "database; give the old backend's prefix, e.g. 'prosumer:*'; nothing was removed"
    ]
    version = manage("clear_user_cache", env=cache_env(tag, "two"))
    assert version.stderr.strip().splitlines() == [
        "enerlink: CACHE_VERSION must be a whole number, not 'two'."
    ]


def test_without_cache_url_the_local_memory_cache_has_nothing_to_clear():
    env = {key: value for key, value in os.environ.items() if not key.startswith("CACHE_")}
    result = scratch.run_manage("clear_user_cache", base_env=env, timeout=120)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == (
        "the cache is LocMemCache (CACHE_URL is unset): each process keeps its own, restarting them empties "
        "it; nothing to clear"
    )

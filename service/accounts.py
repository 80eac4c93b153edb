"""Local accounts: names, roles (reader/editor/admin), visibility levels, passwords.

Passwords are kept as salted scrypt hashes (a random 16-byte salt per user; the
parameters are stored with each hash so they can be raised later) and compared with
hmac.compare_digest. Failed sign-ins are counted per name, for unknown names too (so a
guess tells nothing): after `Config.login_max_failures` in a row the name is locked for
`Config.login_lock_seconds`, even for the right password. The store
(service.deployment.open_store) is the deployment file, or for a knowledge base shared
on a Chroma server its records there (one set of accounts and counters for every
machine); both survive rebuilds and repairs.

No account yet means single-user mode: the interfaces act as core.models.LOCAL_USER.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import secrets
import sqlite3
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from typing import NoReturn

from core.config import Config
from core.errors import AuthError, KBError, PermissionDenied
from core.models import ACTION_LABELS, LEVELS, ROLE_LABELS, ROLES, Filters, User
from service import deploy_store
from service.deploy_store import DeployStore, StoredAccount
from service.deployment import open_store

# scrypt: 16 MiB and about 50 ms per hash on the development machine.
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
MIN_PASSWORD = 8
MAX_NAME = 64
MAX_PASSWORD = 1024  # bounds the hashing work one request can cause


def _hash(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                          maxmem=2 * 128 * n * r * p + 1024 * 1024, dklen=32)


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = _hash(password, salt, SCRYPT_N, SCRYPT_R, SCRYPT_P)
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${salt.hex()}${digest.hex()}"


def password_matches(password: str, stored: str) -> bool:
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        got = _hash(password, bytes.fromhex(salt), int(n), int(r), int(p))
        return hmac.compare_digest(got, bytes.fromhex(digest))
    except ValueError:  # a malformed stored hash never matches
        return False


# A hash to check unknown names against, so that they take as long as known ones.
@functools.cache
def _dummy_hash() -> str:
    # Made on the first login, not at import: every `kb` command imports this module,
    # and one scrypt hash is 50 ms of its start.
    return hash_password(secrets.token_hex(8))


def check_name(name: str) -> str:
    """A valid account name (stripped), or KBError saying why not."""
    name = name.strip()
    if not name:
        raise KBError("用户名不能为空")
    if len(name) > MAX_NAME:
        raise KBError(f"用户名过长：最多 {MAX_NAME} 个字符，实际 {len(name)} 个")
    if ":" in name:  # HTTP Basic authentication splits name and password at the first ':'
        raise KBError(f"用户名不能包含冒号“:”：{name!r}")
    if any(unicodedata.category(ch)[0] in "CZ" and ch != " " for ch in name):
        raise KBError(f"用户名不能包含控制字符或换行：{name!r}")
    return name


def check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise KBError(f"密码太短：至少 {MIN_PASSWORD} 个字符，实际 {len(password)} 个")
    if len(password) > MAX_PASSWORD:
        raise KBError(f"密码过长：最多 {MAX_PASSWORD} 个字符")


def check_role(role: str) -> str:
    if role not in ROLES:
        raise KBError(f"角色应为 {'、'.join(ROLES)} 之一（读者、编辑、管理员），实际为 {role!r}")
    return role


def check_level(level: str) -> str:
    if level not in LEVELS:
        raise KBError(f"可见级别应为 {'、'.join(LEVELS)} 之一，实际为 {level!r}")
    return level


class Accounts:
    """The accounts of one knowledge base (service.deployment.open_store: deploy.sqlite, or
    the Chroma server's records of a shared knowledge base)."""

    def __init__(self, config: Config) -> None:
        self.config = config
        # Successful checks of this process: (name, keyed digest of the password) ->
        # the stored hash they matched. An HTTP Basic client sends its password with
        # every request; a cache hit costs one read instead of a scrypt, and a changed
        # password (another stored hash) misses.
        self._key = secrets.token_bytes(32)
        self._verified: dict[tuple[str, bytes], str] = {}

    @property
    def store(self) -> DeployStore:
        return open_store(self.config)

    # reading ------------------------------------------------------------
    def any(self) -> bool:
        """True once an account exists (sign-in is then required everywhere)."""
        return self.store.has_accounts()

    def single_user(self) -> bool:
        """True when the interfaces may run without sign-in (as LOCAL_USER): no account
        exists and the knowledge base is this machine's own. A knowledge base shared on a
        Chroma server never runs open: its documents are not only this machine's to
        show (its accounts are the server's, shared by every machine)."""
        return not self.config.chroma.host and not self.any()

    def users(self) -> list[User]:
        return [User(a.name, a.role, a.level) for a in self.store.accounts()]

    def get(self, name: str) -> User | None:
        a = self.store.account(name.strip())
        return User(a.name, a.role, a.level) if a else None

    # changing -----------------------------------------------------------
    def add(self, name: str, password: str, role: str, level: str) -> User:
        name = check_name(name)
        check_password(password)
        user = User(name, check_role(role), check_level(level))
        stamp = datetime.now().astimezone().isoformat(timespec="seconds")
        if not self.store.add_account(StoredAccount(name, user.role, user.level,
                                                    hash_password(password), stamp)):
            raise KBError(f"账号 {name} 已存在（修改密码用 kb users passwd {name}）")
        return user

    def update(self, name: str, *, role: str | None = None, level: str | None = None) -> User:
        """Change an account's role or level (the last admin keeps the admin role)."""
        done: list[User] = []

        def change(old: StoredAccount | None, every: list[StoredAccount]) -> StoredAccount:
            old = _existing(old, name)
            new = replace(old, role=check_role(role) if role else old.role,
                          level=check_level(level) if level else old.level)
            if old.role == "admin" and new.role != "admin":
                _keep_an_admin(every, old.name)
            done.append(User(new.name, new.role, new.level))
            return new

        self.store.change_account(name.strip(), change)
        return done[-1]

    def remove(self, name: str) -> None:
        """Delete an account. The last admin goes only with the last account (which
        returns the knowledge base to single-user mode)."""
        def change(old: StoredAccount | None, every: list[StoredAccount]) -> None:
            old = _existing(old, name)
            if old.role == "admin":
                _keep_an_admin(every, old.name)
            return None

        self.store.change_account(name.strip(), change)

    def passwd(self, name: str, password: str) -> None:
        check_password(password)
        pw_hash = hash_password(password)
        self.store.change_account(name.strip(), lambda old, every: replace(
            _existing(old, name), pw_hash=pw_hash))

    # signing in -----------------------------------------------------------
    def verify(self, name: str, password: str) -> User:
        """The account `name` when `password` is right; AuthError (Chinese) otherwise.

        After `login_max_failures` failures in a row the name is locked for
        `login_lock_seconds`; the error says for how long.
        """
        name = name.strip()
        if not name or not password:
            raise AuthError("请输入用户名和密码")
        now = time.time()
        store = self.store
        found, locked_until, failed = store.sign_in_state(name, now)
        if locked_until > now:
            raise AuthError(_locked_message(name, locked_until - now))
        key = (name, hmac.digest(self._key, password.encode("utf-8", "replace"), "sha256"))
        ok = False
        if found is not None and self._verified.get(key) == found.pw_hash:
            ok = True
        elif len(password) <= MAX_PASSWORD:
            # Unknown names are hashed too, so their answer takes as long.
            ok = (password_matches(password, found.pw_hash if found else _dummy_hash())
                  and found is not None)
        if ok:
            self._verified[key] = found.pw_hash
            if failed:
                with _unless_readonly():
                    store.clear_failures(name)
            return User(found.name, found.role, found.level)
        self._verified.pop(key, None)
        self._fail(store, name, now)

    def _fail(self, store: DeployStore, name: str, now: float) -> NoReturn:
        cfg = self.config
        failures, locked = 1, 0.0
        with _unless_readonly():
            failures, locked = store.count_failure(name, now)
        if locked:
            raise AuthError(_locked_message(name, cfg.login_lock_seconds, just=True))
        left = cfg.login_max_failures - failures
        raise AuthError(f"用户名或密码错误（再错 {left} 次，账号 {name} 将被锁定 "
                        f"{_minutes(cfg.login_lock_seconds)}）")


def _existing(account: StoredAccount | None, name: str) -> StoredAccount:
    if account is None:
        raise KBError(f"账号 {name.strip()} 不存在（查看账号：kb users list）")
    return account


def _keep_an_admin(every: list[StoredAccount], name: str) -> None:
    others = [a for a in every if a.name != name]
    if others and not any(a.role == "admin" for a in others):
        raise KBError(f"{name} 是唯一的管理员：请先把另一个账号设为 admin，再删除或降级它")


@contextmanager
def _unless_readonly() -> Iterator[None]:
    """Counting sign-ins needs a writable store; on a read-only index (a mounted copy,
    where nobody can add accounts either) sign-in still works, uncounted."""
    try:
        yield
    except deploy_store.ReadOnlyStore:
        pass
    except sqlite3.OperationalError as exc:
        if "readonly" not in str(exc) and "read-only" not in str(exc):
            raise


def _minutes(seconds: float) -> str:
    return f"{max(1, round(seconds / 60))} 分钟" if seconds >= 60 else f"{int(seconds) + 1} 秒"


def _locked_message(name: str, seconds: float, just: bool = False) -> str:
    why = "登录失败次数过多，已被锁定" if just else "因登录失败次数过多暂时锁定"
    return f"账号 {name} {why}，请 {_minutes(seconds)}后再试"


def viewer_filters(user: User | None, filters: Filters | None) -> Filters:
    """`filters` restricted to what `user` may read (None: no restriction added)."""
    base = filters or Filters()
    if user is None:
        return base
    if base.max_level is not None and base.max_level in LEVELS:
        # Never widen a restriction already there.
        return replace(base, max_level=min(base.max_level, user.level, key=LEVELS.index))
    return replace(base, max_level=user.level)


def require(user: User | None, action: str) -> None:
    """PermissionDenied unless `user` may do `action` (None: single-user, allowed)."""
    if user is None or user.can(action):
        return
    raise PermissionDenied(
        f"账号 {user.name}（{ROLE_LABELS.get(user.role, user.role)}）无权"
        f"{ACTION_LABELS.get(action, action)}：需要"
        f"{'管理员' if action == 'manage_users' else '编辑或管理员'}角色")

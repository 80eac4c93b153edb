"""HTTP Basic authentication over the knowledge base's accounts (service.accounts).

Every request names its user: there is no anonymous access (`kb serve` refuses to start
while no account exists). A password is checked by `Accounts.verify` (salted hash, rate
limited after repeated failures, each failure written to the audit log); a success is
remembered for `CACHE_SECONDS` under a keyed hash of the password, so that 20 clients
querying at once do not each pay the deliberately slow hash and a write to the accounts
file on every request. Each remembered success still reads the account (one SELECT):
a removed account or a changed role or level counts at once; a changed password within
`CACHE_SECONDS`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time

from core.config import Config
from core.errors import AuthError
from core.models import ACTION_LABELS, ROLE_LABELS, User
from service import audit
from service.accounts import Accounts

CACHE_SECONDS = 60.0
REALM = 'Basic realm="jiguan-kb", charset="UTF-8"'


class ApiError(Exception):
    """An answer other than 200: its status and one Chinese line (sent as {"error": …})."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def unauthorized(message: str) -> ApiError:
    return ApiError(401, message, {"WWW-Authenticate": REALM})


class Verifier:
    """Checks HTTP Basic credentials against the accounts, with a short success cache."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.accounts = Accounts(config)
        self._key = secrets.token_bytes(32)  # per process: the cache never leaves memory
        self._ok: dict[tuple[str, bytes], tuple[User, float]] = {}
        self._lock = threading.Lock()

    def _digest(self, password: str) -> bytes:
        return hmac.new(self._key, password.encode("utf-8"), hashlib.sha256).digest()

    def user(self, name: str | None, password: str | None) -> User:
        """The account these credentials name; raises ApiError 401 otherwise."""
        if not name:
            raise unauthorized("需要登录：请用 HTTP Basic 认证提供用户名和密码")
        key = (name, self._digest(password or ""))
        now = time.monotonic()
        with self._lock:
            hit = self._ok.get(key)
        if hit is not None and hit[1] > now:
            current = self.accounts.get(name)
            if current is not None:
                return current
            with self._lock:
                self._ok.pop(key, None)
        try:
            user = self.accounts.verify(name, password or "")
        except AuthError as exc:
            audit.record(self.config, name, "login_failed", via="api")
            raise unauthorized(f"登录失败：{exc}") from None
        with self._lock:
            if len(self._ok) > 10_000:  # bound the memory whatever the clients send
                self._ok.clear()
            self._ok[key] = (user, now + CACHE_SECONDS)
        audit.record(self.config, user, "login", via="api")
        return user


def need(user: User, action: str) -> None:
    """Refuse (403) an action the user's role does not allow."""
    if not user.can(action):
        role = ROLE_LABELS.get(user.role, user.role)
        raise ApiError(403, f"账号 {user.name}（{role}）无权{ACTION_LABELS.get(action, action)}")

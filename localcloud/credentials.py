"""The data dir's secrets: its access key pair and its control token, in one file only its owner can read.

No well-known keys: the first start on a data dir makes a random pair (or takes
LOCALCLOUD_ACCESS_KEY_ID/_SECRET when both are set) and a random control token, and keeps them in
`<data_dir>/credentials.json` (0600, in a 0700 data dir). The provisioner, the tests and
`localcloud credentials` read them from there; the control API (/_localcloud/...) wants the token in
the `X-Localcloud-Token` header.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
import stat
import string
from dataclasses import asdict, dataclass

KEY_FILE = "credentials.json"
TOKEN_HEADER = "X-Localcloud-Token"
ENV_ID, ENV_SECRET = "LOCALCLOUD_ACCESS_KEY_ID", "LOCALCLOUD_ACCESS_KEY_SECRET"
_ALNUM = string.ascii_letters + string.digits


class CredentialsError(Exception):
    """The key file is missing, unreadable (another user's data dir) or not ours."""


@dataclass(frozen=True)
class Credentials:
    access_key_id: str
    access_key_secret: str
    control_token: str

    def exports(self) -> str:
        """Shell lines for people who use the SDKs or the aliyun CLI by hand."""
        return (
            f"export ALIBABA_CLOUD_ACCESS_KEY_ID={self.access_key_id}\n"
            f"export ALIBABA_CLOUD_ACCESS_KEY_SECRET={self.access_key_secret}\n"
        )


def generate() -> Credentials:
    """A fresh pair shaped like Alibaba's (LTAI + 20 characters; a 30-character secret) and a token."""
    return Credentials(
        "LTAI" + "".join(secrets.choice(_ALNUM) for _ in range(20)),
        "".join(secrets.choice(_ALNUM) for _ in range(30)),
        secrets.token_urlsafe(32),
    )


def _from_env(base: Credentials, env) -> Credentials:
    ak, secret = env.get(ENV_ID), env.get(ENV_SECRET)
    if ak and secret:
        return Credentials(ak, secret, base.control_token)
    return base


def proof(token: str, challenge: str) -> str:
    """What GET /_localcloud/health?challenge=C answers: only the holder of the token can compute it, so a
    client can check that the emulator at an address owns the data dir it names before sending it secrets."""
    return hmac.new(token.encode(), ("localcloud-health:" + challenge).encode(), hashlib.sha256).hexdigest()


def private_dir(path: str) -> None:
    """Create `path` (and parents) and make it 0700: nobody else may list or enter the data dir."""
    os.makedirs(path, mode=0o700, exist_ok=True)
    os.chmod(path, 0o700)


def write_private(path: str, text: str) -> None:
    """Write `text` to `path` atomically, 0600 from the first byte (never world-readable, even briefly)."""
    tmp = f"{path}.{os.getpid()}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
    try:
        with os.fdopen(fd, "w") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def load_or_create(data_dir: str | None, env=None) -> Credentials:
    """The data dir's credentials, made at the first start; the LOCALCLOUD_ACCESS_KEY_* pair, when set,
    replaces the stored pair (the file always holds the pair the running emulator accepts).
    Without a data dir (in-memory emulators of the tests) they live in memory only."""
    env = os.environ if env is None else env
    if not data_dir:
        return _from_env(generate(), env)
    path = os.path.join(data_dir, KEY_FILE)
    try:
        current = read(data_dir)
    except CredentialsError:
        if os.path.lexists(path):
            raise
        current = generate()
    wanted = _from_env(current, env)
    if wanted != current or not os.path.exists(path):
        write_private(path, json.dumps(asdict(wanted)) + "\n")
    return wanted


def read(data_dir: str) -> Credentials:
    """The credentials of a data dir; CredentialsError says why they cannot be read."""
    path = os.path.join(data_dir, KEY_FILE)
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except FileNotFoundError:
        raise CredentialsError(f"{path} does not exist (has localcloud ever started on {data_dir}?)") from None
    except PermissionError:
        raise CredentialsError(f"{path} is not readable by this user (the data dir belongs to its owner)") from None
    except OSError as err:
        raise CredentialsError(f"cannot open {path}: {err.strerror}") from None
    with os.fdopen(fd, encoding="utf-8") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_mode & 0o077:
            raise CredentialsError(f"{path} must be a regular file only its owner can read (mode 0600)")
        try:
            data = json.loads(handle.read(65536))
            return Credentials(str(data["access_key_id"]), str(data["access_key_secret"]), str(data["control_token"]))
        except (ValueError, KeyError, TypeError):
            raise CredentialsError(f"{path} is not a localcloud key file") from None

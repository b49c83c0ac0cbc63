"""Signature verification: ACS3-HMAC-SHA256 (new SDK default) and RPC HMAC-SHA1 (legacy SDK, new SDK v2)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import threading
import time
from calendar import timegm
from urllib.parse import parse_qsl, quote

from .errors import (
    IncompleteSignature,
    InvalidAccessKeyIdNotFound,
    InvalidContentSHA256,
    InvalidSignatureMethod,
    InvalidSignatureVersion,
    InvalidTimeStampExpired,
    InvalidTimeStampFormat,
    MissingParameter,
    SignatureDoesNotMatch,
    SignatureNonceUsed,
    SignatureNotMatched,
    SignedHeaderMissing,
    UnsupportedSignatureAlgorithm,
)

# The real gateway accepts a request whose timestamp is within 15 minutes of its clock and refuses a
# nonce seen within the same 15 minutes (Alibaba "signature mechanism" docs; choice recorded in CHOICES.md).
TIMESTAMP_WINDOW_S = 15 * 60

_AUTH_RE = re.compile(
    r"^(?P<algo>ACS3-[A-Z0-9-]+)\s+Credential=(?P<ak>[^,]+),\s*SignedHeaders=(?P<sh>[^,]*),\s*Signature=(?P<sig>[0-9a-fA-F]+)$"
)


def percent_encode(value: str) -> str:
    """RFC 3986 encoding the signers use: unreserved kept, space -> %20, '*' -> %2A."""
    return quote(value, safe="~")


class NonceCache:
    """Nonces seen within the timestamp window; a repeat is `SignatureNonceUsed`."""

    def __init__(self, window: float = TIMESTAMP_WINDOW_S):
        self.window = window
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()
        self._last_sweep = time.monotonic()

    def check_and_add(self, ak: str, nonce: str) -> None:
        now = time.monotonic()
        key = ak + ":" + nonce
        with self._lock:
            if now - self._last_sweep > 60:
                cutoff = now - self.window
                self._seen = {k: t for k, t in self._seen.items() if t > cutoff}
                self._last_sweep = now
            seen = self._seen.get(key)
            if seen is not None and now - seen < self.window:
                raise SignatureNonceUsed()
            self._seen[key] = now


def _parse_utc(stamp: str, name: str) -> float:
    for fmt in ("%Y-%m-%dT%H:%M:%SZ", "%Y-%m-%dT%H:%M:%S.%fZ"):
        try:
            return float(timegm(time.strptime(stamp, fmt)))
        except ValueError:
            continue
    raise InvalidTimeStampFormat(name=name)


def _check_time(stamp: float) -> None:
    if abs(time.time() - stamp) > TIMESTAMP_WINDOW_S:
        raise InvalidTimeStampExpired()


class Verifier:
    """Checks signatures against `keys` (AccessKeyId -> secret): the data dir's pair (localcloud.credentials)."""

    def __init__(self, keys: dict[str, str]):
        self.keys = dict(keys)
        self.nonces = NonceCache()

    def _secret(self, ak: str) -> str:
        secret = self.keys.get(ak)
        if secret is None:
            raise InvalidAccessKeyIdNotFound()
        return secret

    def verify(
        self,
        method: str,
        path: str,
        raw_query: str,
        headers: dict[str, str],
        body: bytes,
        form_params: list[tuple[str, str]],
    ) -> str:
        """Return the caller's AccessKeyId or raise the gateway's error. `headers` are lower-cased."""
        auth = headers.get("authorization", "")
        if auth.startswith("ACS3-"):
            return self._verify_v3(method, path, raw_query, headers, body, auth)
        query = parse_qsl(raw_query, keep_blank_values=True)
        if any(k == "Signature" for k, _ in query) or any(k == "Signature" for k, _ in form_params):
            return self._verify_v1(method, query + form_params)
        raise MissingParameter(name="Signature")

    # ACS3-HMAC-SHA256 ------------------------------------------------------------------------
    def _verify_v3(self, method, path, raw_query, headers, body, auth) -> str:
        match = _AUTH_RE.match(auth.strip())
        if not match:
            raise IncompleteSignature()
        algo, ak, signed_headers, signature = match.group("algo", "ak", "sh", "sig")
        if algo != "ACS3-HMAC-SHA256":
            raise UnsupportedSignatureAlgorithm(algorithm=algo)
        secret = self._secret(ak)
        date = headers.get("x-acs-date")
        if not date:
            raise MissingParameter(name="x-acs-date")
        _check_time(_parse_utc(date, "x-acs-date"))
        payload_hash = hashlib.sha256(body).hexdigest()
        if headers.get("x-acs-content-sha256", payload_hash) != payload_hash:
            raise InvalidContentSHA256()
        signed = [h for h in signed_headers.split(";") if h]
        for h in signed:
            if h not in headers:
                raise SignedHeaderMissing(header=h)
        canon_query = "&".join(
            f"{k}={percent_encode(v)}" for k, v in sorted(parse_qsl(raw_query, keep_blank_values=True))
        )
        canon_headers = "".join(f"{h}:{headers[h].strip()}\n" for h in signed)
        canonical = "\n".join([method, path or "/", canon_query, canon_headers, ";".join(signed), payload_hash])
        to_sign = algo + "\n" + hashlib.sha256(canonical.encode()).hexdigest()
        expected = hmac.new(secret.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(expected, signature.lower()):
            raise SignatureDoesNotMatch(to_sign=to_sign)
        nonce = headers.get("x-acs-signature-nonce")
        if not nonce:
            raise MissingParameter(name="x-acs-signature-nonce")
        self.nonces.check_and_add(ak, nonce)
        return ak

    # RPC HMAC-SHA1 ---------------------------------------------------------------------------
    def _verify_v1(self, method, pairs: list[tuple[str, str]]) -> str:
        params = dict(pairs)
        signature = params.pop("Signature", "")
        ak = params.get("AccessKeyId")
        if not ak:
            raise MissingParameter(name="AccessKeyId")
        secret = self._secret(ak)
        if params.get("SignatureMethod", "HMAC-SHA1") != "HMAC-SHA1":
            raise InvalidSignatureMethod()
        if params.get("SignatureVersion", "1.0") != "1.0":
            raise InvalidSignatureVersion()
        stamp = params.get("Timestamp")
        if not stamp:
            raise MissingParameter(name="Timestamp")
        _check_time(_parse_utc(stamp, "Timestamp"))
        canon = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()))
        to_sign = f"{method}&{percent_encode('/')}&{percent_encode(canon)}"
        digest = hmac.new((secret + "&").encode(), to_sign.encode(), hashlib.sha1).digest()
        expected = base64.b64encode(digest).decode()
        if not hmac.compare_digest(expected, signature):
            # The legacy SDK recognises this message shape and reports InvalidAccessKeySecret.
            raise SignatureNotMatched(to_sign=to_sign)
        nonce = params.get("SignatureNonce")
        if not nonce:
            raise MissingParameter(name="SignatureNonce")
        self.nonces.check_and_add(ak, nonce)
        return ak

"""JSON Web Token rules of the API, in plain Python (PyJWT, no Odoo).

Secure defaults, joserfc style: the signature is verified first, with the algorithms pinned
for the token's issuer, and the claims are checked in a separate, explicit step:

    config = select_issuer(token, configs)
    claims = decode_and_verify(token, config)
    claims = check_claims(claims, config)

A token is refused unless all of this holds: its issuer is configured; its header ``alg`` is one
the issuer is pinned to (so ``none`` and HS/RS confusion never verify); the signature matches;
``exp``, ``iat``, ``iss``, ``aud`` and the identity claim are present, well typed and valid
within the issuer's small leeway; ``jti`` is present for the addon's own tokens.

Refusals raise :class:`~.errors.Unauthorized`; configuration problems raise
:class:`TokenConfigError`, which the API turns into a refusal to issue or accept tokens.
"""

import base64
import hashlib
import json
import os
import secrets
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlparse

import jwt

from .errors import Unauthorized

MIN_SECRET_BYTES = 32
NATIVE_ALGORITHM = "HS256"
HMAC_ALGORITHMS = frozenset({"HS256", "HS384", "HS512"})
ASYMMETRIC_ALGORITHMS = frozenset(
    {
        "RS256",
        "RS384",
        "RS512",
        "PS256",
        "PS384",
        "PS512",
        "ES256",
        "ES384",
        "ES512",
        "EdDSA",
    }
)
MAX_LEEWAY_SECONDS = 300
DEFAULT_LEEWAY_SECONDS = 30
ISSUER_FILE_KEYS = frozenset(
    {
        "issuer",
        "audience",
        "algorithms",
        "public_key_file",
        "jwks_url",
        "identity_claim",
        "email_claim",
        "require_email_verified",
        "leeway_seconds",
        "require_jti",
    }
)
# Claims that hold an address or a display login: they can be reassigned to someone else,
# so they never identify a person on their own (see email_claim).
UNSTABLE_IDENTITY_CLAIMS = frozenset({"email", "upn", "preferred_username", "unique_name", "name"})


class TokenConfigError(Exception):
    """The token configuration (odoo.conf or the issuers file) cannot be used safely."""


@dataclass(frozen=True)
class IssuerConfig:
    """How tokens of one issuer are verified."""

    issuer: str
    audience: str
    algorithms: tuple
    key: object = None
    jwks_url: str = None
    identity_claim: str = "sub"
    email_claim: str = None
    require_email_verified: bool = False
    leeway_seconds: int = DEFAULT_LEEWAY_SECONDS
    require_jti: bool = True
    native: bool = False
    required_claims: tuple = field(init=False)

    def __post_init__(self):
        claims = ["exp", "iat", "iss", "aud", self.identity_claim]
        if self.require_jti:
            claims.append("jti")
        object.__setattr__(self, "required_claims", tuple(dict.fromkeys(claims)))


# --------------------------------------------------------------------------- configuration


def native_issuer_config(secret, issuer, audience, leeway_seconds=DEFAULT_LEEWAY_SECONDS):
    """Build the configuration of the addon's own tokens.

    :param secret: ``abs_jwt_secret`` from odoo.conf (str or bytes).
    :param issuer: ``abs_jwt_issuer``.
    :param audience: ``abs_jwt_audience``.
    :param leeway_seconds: clock skew tolerated on ``exp`` / ``iat``.
    :raise TokenConfigError: when the secret is missing or shorter than 32 bytes, or the issuer /
        audience is empty.
    """
    if not secret:
        raise TokenConfigError("abs_jwt_secret is not set in the server configuration.")
    secret_bytes = secret.encode() if isinstance(secret, str) else bytes(secret)
    if len(secret_bytes) < MIN_SECRET_BYTES:
        raise TokenConfigError(f"abs_jwt_secret must be at least {MIN_SECRET_BYTES} bytes long.")
    if not issuer or not audience:
        raise TokenConfigError("abs_jwt_issuer and abs_jwt_audience must not be empty.")
    return IssuerConfig(
        issuer=str(issuer),
        audience=str(audience),
        algorithms=(NATIVE_ALGORITHM,),
        key=secret_bytes,
        identity_claim="sub",
        leeway_seconds=_leeway(leeway_seconds),
        require_jti=True,
        native=True,
    )


def _leeway(value):
    try:
        leeway = int(value)
    except (TypeError, ValueError):
        raise TokenConfigError(f"leeway_seconds must be an integer, got {value!r}.")
    if not 0 <= leeway <= MAX_LEEWAY_SECONDS:
        raise TokenConfigError(f"leeway_seconds must be between 0 and {MAX_LEEWAY_SECONDS}.")
    return leeway


def parse_issuer_entry(entry, base_dir="."):
    """Validate one entry of the external issuers file and build its :class:`IssuerConfig`.

    :param entry: dict with ``issuer``, ``audience``, ``algorithms``, one of
        ``public_key_file`` / ``jwks_url``, optional ``identity_claim`` (a stable claim such as
        ``sub`` or ``oid``, default ``sub``), ``email_claim`` (only with
        ``require_email_verified: true``), ``leeway_seconds`` and ``require_jti`` (default true).
    :param base_dir: directory a relative ``public_key_file`` is resolved against.
    :raise TokenConfigError: on any missing, unknown or unsafe setting.
    """
    issuer, audience = _issuer_names(entry)
    algorithms = _external_algorithms(issuer, entry.get("algorithms"))
    key, jwks_url = _issuer_key(issuer, entry, base_dir)
    email_claim, require_email_verified = _email_mapping(issuer, entry)
    return IssuerConfig(
        issuer=issuer,
        audience=audience,
        algorithms=algorithms,
        key=key,
        jwks_url=jwks_url,
        identity_claim=_identity_claim(issuer, entry.get("identity_claim", "sub")),
        email_claim=email_claim,
        require_email_verified=require_email_verified,
        leeway_seconds=_leeway(entry.get("leeway_seconds", DEFAULT_LEEWAY_SECONDS)),
        require_jti=_boolean(issuer, "require_jti", entry.get("require_jti", True)),
        native=False,
    )


def _issuer_names(entry):
    """``(issuer, audience)`` of an entry that is an object with known keys only."""
    if not isinstance(entry, dict):
        raise TokenConfigError("each issuer must be a JSON object.")
    unknown = set(entry) - ISSUER_FILE_KEYS
    if unknown:
        raise TokenConfigError(f"unknown issuer settings: {', '.join(sorted(unknown))}.")
    issuer = entry.get("issuer")
    if not isinstance(issuer, str) or not issuer:
        raise TokenConfigError("issuer must be a non-empty string.")
    return issuer, _non_empty_string(issuer, "audience", entry.get("audience"))


def _non_empty_string(issuer, name, value):
    if not isinstance(value, str) or not value:
        raise TokenConfigError(f"{issuer}: {name} must be a non-empty string.")
    return value


def _boolean(issuer, name, value):
    if not isinstance(value, bool):
        raise TokenConfigError(f"{issuer}: {name} must be true or false.")
    return value


def _identity_claim(issuer, identity_claim):
    _non_empty_string(issuer, "identity_claim", identity_claim)
    if identity_claim in UNSTABLE_IDENTITY_CLAIMS:
        raise TokenConfigError(
            f"{issuer}: identity_claim must be a stable claim (sub, oid), not {identity_claim!r}; "
            "to map people by e-mail, set email_claim with require_email_verified."
        )
    return identity_claim


def _external_algorithms(issuer, algorithms):
    if not isinstance(algorithms, list) or not algorithms:
        raise TokenConfigError(f"{issuer}: algorithms must be a non-empty list.")
    # An external issuer is verified with its public key only: a symmetric algorithm would
    # let anyone who can read that key forge tokens (HS/RS confusion), "none" never verifies.
    bad = [alg for alg in algorithms if alg not in ASYMMETRIC_ALGORITHMS]
    if bad:
        raise TokenConfigError(f"{issuer}: algorithms not allowed for an external issuer: {bad}.")
    return tuple(algorithms)


def _issuer_key(issuer, entry, base_dir):
    """``(public key, None)`` from ``public_key_file`` or ``(None, jwks_url)``: exactly one."""
    key_file, jwks_url = entry.get("public_key_file"), entry.get("jwks_url")
    if bool(key_file) == bool(jwks_url):
        raise TokenConfigError(f"{issuer}: give exactly one of public_key_file and jwks_url.")
    if key_file:
        return _read_public_key(issuer, key_file, base_dir), None
    if not _safe_jwks_url(jwks_url):
        raise TokenConfigError(f"{issuer}: jwks_url must be an https URL.")
    return None, jwks_url


def _read_public_key(issuer, key_file, base_dir):
    path = key_file if os.path.isabs(key_file) else os.path.join(base_dir, key_file)
    try:
        with open(path, encoding="utf-8") as handle:
            key = handle.read()
    except OSError as exc:
        raise TokenConfigError(f"{issuer}: cannot read public_key_file {path}: {exc.strerror}.")
    if "PRIVATE KEY" in key:
        raise TokenConfigError(f"{issuer}: public_key_file holds a private key.")
    return key


def _email_mapping(issuer, entry):
    """``(email_claim, require_email_verified)`` of an issuer entry.

    :raise TokenConfigError: an e-mail claim without ``require_email_verified: true``: an
        address the issuer did not verify would let anyone who registers it there sign in as
        the person who owns it here.
    """
    email_claim = entry.get("email_claim")
    require_verified = entry.get("require_email_verified", False)
    if not isinstance(require_verified, bool):
        raise TokenConfigError(f"{issuer}: require_email_verified must be true or false.")
    if email_claim is None:
        return None, require_verified
    if not isinstance(email_claim, str) or not email_claim:
        raise TokenConfigError(f"{issuer}: email_claim must be a non-empty string.")
    if not require_verified:
        raise TokenConfigError(f"{issuer}: email_claim needs require_email_verified: true.")
    return email_claim, True


def federated_identity(claims, config):
    """What designates the person in a verified external token.

    :returns: ``(subject, email)``: the stable identity claim's value, and the e-mail address
        to map a person by when the subject is not linked yet -- only when the issuer entry
        maps e-mails and the token says ``email_verified: true``, else None.
    """
    subject = claims.get(config.identity_claim)
    email = None
    if config.email_claim and claims.get("email_verified") is True:
        value = claims.get(config.email_claim)
        email = value if isinstance(value, str) and value else None
    return subject, email


def _safe_jwks_url(url):
    """Keys fetched over plain HTTP could be swapped in transit; loopback is allowed for tests."""
    parsed = urlparse(str(url))
    if parsed.scheme == "https" and parsed.hostname:
        return True
    return parsed.scheme == "http" and parsed.hostname in ("127.0.0.1", "localhost")


def load_issuers_file(path):
    """Read ``abs_jwt_issuers_file``: a JSON list of issuer entries.

    :raise TokenConfigError: when the file cannot be read, is not a JSON list, or an entry is
        invalid or repeats an issuer.
    """
    try:
        with open(path, encoding="utf-8") as handle:
            entries = json.load(handle)
    except OSError as exc:
        raise TokenConfigError(f"cannot read issuers file {path}: {exc.strerror}.")
    except ValueError as exc:
        raise TokenConfigError(f"issuers file {path} is not valid JSON: {exc}.")
    if not isinstance(entries, list):
        raise TokenConfigError(f"issuers file {path} must hold a JSON list.")
    base_dir = os.path.dirname(os.path.abspath(path))
    configs = [parse_issuer_entry(entry, base_dir) for entry in entries]
    issuers = [config.issuer for config in configs]
    if len(set(issuers)) != len(issuers):
        raise TokenConfigError(f"issuers file {path} lists an issuer twice.")
    return configs


# --------------------------------------------------------------------------- verification


def _refuse(message, reason):
    raise Unauthorized(message, details={"reason": reason})


def unverified_header(token):
    """Return the token's JOSE header without trusting it.

    :raise Unauthorized: when the token is not a well-formed JWS compact serialization.
    """
    if not isinstance(token, str) or token.count(".") != 2:
        _refuse("The access token is malformed.", "malformed")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        _refuse("The access token is malformed.", "malformed")
    if not isinstance(header, dict):
        _refuse("The access token is malformed.", "malformed")
    return header


def select_issuer(token, configs):
    """Pick the configuration whose ``issuer`` equals the token's (unverified) ``iss``.

    Reading ``iss`` before verification only chooses which key and algorithms to verify with;
    nothing is trusted until :func:`decode_and_verify` and :func:`check_claims` pass.

    :raise Unauthorized: when the token is malformed or its issuer is not configured.
    """
    unverified_header(token)
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        _refuse("The access token is malformed.", "malformed")
    issuer = claims.get("iss") if isinstance(claims, dict) else None
    for config in configs:
        if isinstance(issuer, str) and config.issuer == issuer:
            return config
    _refuse("The access token was not issued by a trusted issuer.", "issuer")


_JWKS_CLIENTS = {}


def _jwks_key(token, config):
    client = _JWKS_CLIENTS.get(config.jwks_url)
    if client is None:
        client = jwt.PyJWKClient(config.jwks_url, cache_keys=True, lifespan=300, timeout=5)
        _JWKS_CLIENTS[config.jwks_url] = client
    try:
        return client.get_signing_key_from_jwt(token).key
    except jwt.PyJWTError:
        _refuse("The access token cannot be verified.", "signature")


def decode_and_verify(token, config):
    """Verify the token's signature with the issuer's pinned algorithms and return its claims.

    Claims are NOT validated here (see :func:`check_claims`).

    :param token: the compact JWS from the ``Authorization: Bearer`` header.
    :param config: the :class:`IssuerConfig` chosen for the token.
    :returns: the claims dict.
    :raise Unauthorized: malformed token, algorithm not pinned for this issuer (including
        ``none``), wrong key type or bad signature.
    """
    header = unverified_header(token)
    algorithm = header.get("alg")
    if algorithm not in config.algorithms:
        _refuse("The access token uses an algorithm this issuer is not allowed.", "algorithm")
    key = _jwks_key(token, config) if config.jwks_url else config.key
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=list(config.algorithms),
            options={
                "verify_signature": True,
                "verify_exp": False,
                "verify_nbf": False,
                "verify_iat": False,
                "verify_aud": False,
                "verify_iss": False,
                "require": [],
            },
        )
    except (jwt.PyJWTError, ValueError, TypeError):
        _refuse("The access token signature is not valid.", "signature")
    if not isinstance(claims, dict):
        _refuse("The access token is malformed.", "malformed")
    return claims


def _number(claims, name):
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        _refuse(f"The access token claim '{name}' is not a number.", name)
    return value


def check_claims(claims, config, now=None):
    """Validate verified claims against the issuer configuration.

    :param claims: the dict returned by :func:`decode_and_verify`.
    :param config: the same :class:`IssuerConfig`.
    :param now: current UNIX time (tests pass it; default: the clock).
    :returns: the claims, unchanged.
    :raise Unauthorized: a required claim is missing or mistyped; ``iss`` or ``aud`` does not
        match; the token is expired beyond the leeway, issued in the future, or not yet valid.
    """
    now = time.time() if now is None else now
    missing = [name for name in config.required_claims if claims.get(name) in (None, "", [])]
    if missing:
        _refuse(f"The access token lacks required claims: {', '.join(missing)}.", "missing_claims")
    _check_issuer_and_audience(claims, config)
    _check_times(claims, config.leeway_seconds, now)
    _check_identifiers(claims, config)
    return claims


def _check_issuer_and_audience(claims, config):
    if claims.get("iss") != config.issuer:
        _refuse("The access token was not issued by a trusted issuer.", "issuer")
    audience = claims.get("aud")
    audiences = audience if isinstance(audience, list) else [audience]
    if config.audience not in audiences:
        _refuse("The access token is not meant for this API.", "audience")


def _check_times(claims, leeway, now):
    if _number(claims, "exp") + leeway <= now:
        _refuse("The access token has expired.", "expired")
    if _number(claims, "iat") - leeway > now:
        _refuse("The access token was issued in the future.", "iat")
    if "nbf" in claims and _number(claims, "nbf") - leeway > now:
        _refuse("The access token is not valid yet.", "nbf")


def _check_identifiers(claims, config):
    if not isinstance(claims.get(config.identity_claim), str):
        _refuse(f"The access token claim '{config.identity_claim}' must be a string.", "identity")
    if config.require_jti and not isinstance(claims.get("jti"), str):
        _refuse("The access token claim 'jti' must be a string.", "jti")


def verify_token(token, configs, now=None):
    """Select the issuer, verify the signature, check the claims.

    :returns: ``(claims, config)``.
    :raise Unauthorized: see :func:`select_issuer`, :func:`decode_and_verify`,
        :func:`check_claims`.
    """
    config = select_issuer(token, configs)
    claims = decode_and_verify(token, config)
    return check_claims(claims, config, now=now), config


# --------------------------------------------------------------------------- issuing


def issue_access_token(config, subject, ttl_seconds, now=None, extra_claims=None):
    """Sign an access token of the addon's own issuer.

    :param config: the native :class:`IssuerConfig` (holds the HMAC secret).
    :param subject: the ``sub`` claim (the abs.employee id as a string).
    :param ttl_seconds: lifetime (``abs_jwt_access_ttl``).
    :param extra_claims: extra non-registered claims (e.g. ``email``).
    :returns: ``(token, claims)``.
    :raise TokenConfigError: when ``config`` is not the native issuer or the TTL is not positive.
    """
    if not config.native:
        raise TokenConfigError("only the native issuer signs tokens.")
    ttl_seconds = int(ttl_seconds)
    if ttl_seconds <= 0:
        raise TokenConfigError("abs_jwt_access_ttl must be a positive number of seconds.")
    now = int(time.time() if now is None else now)
    claims = dict(extra_claims or {})
    claims.update(
        {
            "iss": config.issuer,
            "aud": config.audience,
            "sub": str(subject),
            "iat": now,
            "nbf": now,
            "exp": now + ttl_seconds,
            "jti": uuid.uuid4().hex,
        }
    )
    token = jwt.encode(claims, config.key, algorithm=NATIVE_ALGORITHM, headers={"typ": "JWT"})
    return token, claims


def new_opaque_token(nbytes=32):
    """A random URL-safe secret (refresh, activation, API key) and its storage hash.

    :returns: ``(token, sha256_hex)``; only the hash is ever stored.
    """
    token = secrets.token_urlsafe(nbytes)
    return token, hash_opaque(token)


def hash_opaque(token):
    """SHA-256 hex digest of a high-entropy opaque token (safe to store and to index)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def bearer_token(authorization_header):
    """Extract the token from an ``Authorization: Bearer <token>`` header value.

    :raise Unauthorized: when the header is missing or not a Bearer credential.
    """
    if not authorization_header:
        _refuse("Authentication is required: send 'Authorization: Bearer <token>'.", "missing")
    scheme, _, token = authorization_header.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        _refuse("The Authorization header must be 'Bearer <token>'.", "scheme")
    return token


def b64url(data):
    """Base64url without padding (used by tests to forge headers such as ``alg: none``)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")

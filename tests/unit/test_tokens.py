"""Token rules of governance.tokens: what is accepted, and every way a token is refused."""

import hashlib
import hmac
import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from governance import tokens
from governance.errors import Unauthorized
from governance.tokens import TokenConfigError

SECRET = "s" * 40
NOW = 1_800_000_000


@pytest.fixture(scope="module")
def rsa_pair():
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public_pem = (
        private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private_pem, public_pem


@pytest.fixture
def native():
    return tokens.native_issuer_config(SECRET, "abs-test", "abs-api", leeway_seconds=30)


@pytest.fixture
def external(tmp_path, rsa_pair):
    (tmp_path / "teams.pem").write_text(rsa_pair[1])
    return tokens.parse_issuer_entry(
        {
            "issuer": "https://login.example.com/tenant",
            "audience": "api://abs",
            "algorithms": ["RS256"],
            "public_key_file": "teams.pem",
            "identity_claim": "oid",
            "email_claim": "email",
            "require_email_verified": True,
            "leeway_seconds": 10,
            "require_jti": False,
        },
        base_dir=str(tmp_path),
    )


def native_claims(**overrides):
    claims = {"iss": "abs-test", "aud": "abs-api", "sub": "7", "iat": NOW, "exp": NOW + 900, "jti": "j1"}
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def sign(claims, key=SECRET, algorithm="HS256", headers=None):
    return jwt.encode(claims, key, algorithm=algorithm, headers=headers)


def verify(token, configs, now=NOW):
    return tokens.verify_token(token, configs, now=now)


def reason_of(excinfo):
    return excinfo.value.details["reason"]


# ----------------------------------------------------------------- configuration


def test_native_config_refuses_missing_secret():
    with pytest.raises(TokenConfigError):
        tokens.native_issuer_config("", "abs", "api")
    with pytest.raises(TokenConfigError):
        tokens.native_issuer_config(None, "abs", "api")


def test_native_config_refuses_secret_shorter_than_32_bytes():
    with pytest.raises(TokenConfigError):
        tokens.native_issuer_config("x" * 31, "abs", "api")
    assert tokens.native_issuer_config("x" * 32, "abs", "api").native


def test_native_config_pins_hs256_and_requires_jti(native):
    assert native.algorithms == ("HS256",)
    assert set(native.required_claims) == {"exp", "iat", "iss", "aud", "sub", "jti"}


def test_external_issuer_refuses_symmetric_or_none_algorithms(tmp_path, rsa_pair):
    (tmp_path / "k.pem").write_text(rsa_pair[1])
    for algs in (["HS256"], ["none"], ["RS256", "HS256"], []):
        with pytest.raises(TokenConfigError):
            tokens.parse_issuer_entry(
                {"issuer": "i", "audience": "a", "algorithms": algs, "public_key_file": "k.pem"},
                base_dir=str(tmp_path),
            )


def test_external_issuer_needs_exactly_one_key_source(tmp_path, rsa_pair):
    (tmp_path / "k.pem").write_text(rsa_pair[1])
    base = {"issuer": "i", "audience": "a", "algorithms": ["RS256"]}
    with pytest.raises(TokenConfigError):
        tokens.parse_issuer_entry(base, base_dir=str(tmp_path))
    with pytest.raises(TokenConfigError):
        tokens.parse_issuer_entry(
            dict(base, public_key_file="k.pem", jwks_url="https://x/jwks"), base_dir=str(tmp_path)
        )


def test_external_issuer_refuses_private_key_file_and_plain_http_jwks(tmp_path, rsa_pair):
    (tmp_path / "priv.pem").write_text(rsa_pair[0])
    base = {"issuer": "i", "audience": "a", "algorithms": ["RS256"]}
    with pytest.raises(TokenConfigError):
        tokens.parse_issuer_entry(dict(base, public_key_file="priv.pem"), base_dir=str(tmp_path))
    with pytest.raises(TokenConfigError):
        tokens.parse_issuer_entry(dict(base, jwks_url="http://evil.example/jwks"))
    with pytest.raises(TokenConfigError):
        tokens.parse_issuer_entry(dict(base, jwks_url="http://127.0.0.1.evil.example/jwks"))
    assert tokens.parse_issuer_entry(dict(base, jwks_url="https://idp.example/jwks")).jwks_url


def test_external_issuer_refuses_unknown_setting_and_excessive_leeway(tmp_path, rsa_pair):
    (tmp_path / "k.pem").write_text(rsa_pair[1])
    base = {"issuer": "i", "audience": "a", "algorithms": ["RS256"], "public_key_file": "k.pem"}
    with pytest.raises(TokenConfigError):
        tokens.parse_issuer_entry(dict(base, verify_signature=False), base_dir=str(tmp_path))
    with pytest.raises(TokenConfigError):
        tokens.parse_issuer_entry(dict(base, leeway_seconds=3600), base_dir=str(tmp_path))


def test_issuers_file_is_a_json_list_without_duplicates(tmp_path, rsa_pair):
    (tmp_path / "k.pem").write_text(rsa_pair[1])
    entry = {"issuer": "i", "audience": "a", "algorithms": ["RS256"], "public_key_file": "k.pem"}
    path = tmp_path / "issuers.json"
    path.write_text(json.dumps([entry]))
    [config] = tokens.load_issuers_file(str(path))
    assert config.key.startswith("-----BEGIN PUBLIC KEY")
    path.write_text(json.dumps([entry, entry]))
    with pytest.raises(TokenConfigError):
        tokens.load_issuers_file(str(path))
    path.write_text(json.dumps(entry))
    with pytest.raises(TokenConfigError):
        tokens.load_issuers_file(str(path))
    path.write_text("{not json")
    with pytest.raises(TokenConfigError):
        tokens.load_issuers_file(str(path))
    with pytest.raises(TokenConfigError):
        tokens.load_issuers_file(str(tmp_path / "missing.json"))


# ----------------------------------------------------------------- accepted tokens


def test_issued_native_token_verifies_and_carries_all_required_claims(native):
    token, claims = tokens.issue_access_token(native, 7, 900, now=NOW, extra_claims={"email": "a@b.c"})
    verified, config = verify(token, [native])
    assert config is native
    assert verified["sub"] == "7" and verified["exp"] == NOW + 900 and verified["email"] == "a@b.c"
    assert verified["jti"] == claims["jti"]


def test_issued_tokens_have_distinct_jti(native):
    first, _ = tokens.issue_access_token(native, 7, 900, now=NOW)
    second, _ = tokens.issue_access_token(native, 7, 900, now=NOW)
    assert (
        jwt.decode(first, options={"verify_signature": False})["jti"]
        != jwt.decode(second, options={"verify_signature": False})["jti"]
    )


def test_external_rs256_token_with_identity_claim_verifies(native, external, rsa_pair):
    token = sign(
        {
            "iss": external.issuer,
            "aud": "api://abs",
            "oid": "00000000-aaaa-bbbb-cccc-000000000001",
            "email": "jean@example.com",
            "iat": NOW,
            "exp": NOW + 60,
        },
        key=rsa_pair[0],
        algorithm="RS256",
    )
    claims, config = verify(token, [native, external])
    assert config is external and claims["oid"] == "00000000-aaaa-bbbb-cccc-000000000001"


def test_token_expired_within_leeway_is_accepted(native):
    verify(sign(native_claims(exp=NOW - 10)), [native])


# ----------------------------------------------------------------- refused tokens


def test_token_expired_beyond_leeway_is_refused(native):
    with pytest.raises(Unauthorized) as excinfo:
        verify(sign(native_claims(exp=NOW - 31)), [native])
    assert reason_of(excinfo) == "expired"


def test_token_issued_in_the_future_is_refused(native):
    with pytest.raises(Unauthorized) as excinfo:
        verify(sign(native_claims(iat=NOW + 120)), [native])
    assert reason_of(excinfo) == "iat"


def test_token_not_yet_valid_is_refused(native):
    with pytest.raises(Unauthorized):
        verify(sign(native_claims(nbf=NOW + 120)), [native])


@pytest.mark.parametrize("claim", ["exp", "iat", "iss", "aud", "sub", "jti"])
def test_token_missing_a_required_claim_is_refused(native, claim):
    claims = native_claims()
    del claims[claim]
    with pytest.raises(Unauthorized):
        verify(sign(claims), [native])
    with pytest.raises(Unauthorized):
        tokens.check_claims(claims, native, now=NOW)


def test_token_with_non_numeric_exp_is_refused(native):
    with pytest.raises(Unauthorized):
        tokens.check_claims(native_claims(exp="tomorrow"), native, now=NOW)
    with pytest.raises(Unauthorized):
        tokens.check_claims(native_claims(exp=True), native, now=NOW)


def test_token_with_wrong_audience_is_refused(native):
    with pytest.raises(Unauthorized) as excinfo:
        verify(sign(native_claims(aud="other-api")), [native])
    assert reason_of(excinfo) == "audience"


def test_token_with_audience_list_containing_ours_is_accepted(native):
    verify(sign(native_claims(aud=["other", "abs-api"])), [native])


def test_token_with_unknown_issuer_is_refused(native):
    with pytest.raises(Unauthorized) as excinfo:
        verify(sign(native_claims(iss="someone-else")), [native])
    assert reason_of(excinfo) == "issuer"


def test_check_claims_refuses_issuer_mismatch_even_after_selection(native):
    with pytest.raises(Unauthorized):
        tokens.check_claims(native_claims(iss="other"), native, now=NOW)


def test_alg_none_token_is_refused(native):
    header = tokens.b64url(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    body = tokens.b64url(json.dumps(native_claims()).encode())
    with pytest.raises(Unauthorized) as excinfo:
        verify(f"{header}.{body}.", [native])
    assert reason_of(excinfo) == "algorithm"


def test_token_signed_with_another_secret_is_refused(native):
    with pytest.raises(Unauthorized) as excinfo:
        verify(sign(native_claims(), key="t" * 40), [native])
    assert reason_of(excinfo) == "signature"


def test_tampered_payload_is_refused(native):
    token = sign(native_claims())
    header, _, signature = token.split(".")
    forged = tokens.b64url(json.dumps(native_claims(sub="1")).encode())
    with pytest.raises(Unauthorized):
        verify(f"{header}.{forged}.{signature}", [native])


def test_hs256_token_signed_with_the_rsa_public_key_is_refused(native, external, rsa_pair):
    """HS/RS confusion: the public key is public, it must never work as an HMAC secret."""
    claims = {"iss": external.issuer, "aud": "api://abs", "oid": "x", "iat": NOW, "exp": NOW + 60}
    header = tokens.b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    body = tokens.b64url(json.dumps(claims).encode())
    mac = hmac.new(rsa_pair[1].encode(), f"{header}.{body}".encode(), hashlib.sha256).digest()
    forged = f"{header}.{body}.{tokens.b64url(mac)}"
    with pytest.raises(Unauthorized) as excinfo:
        verify(forged, [native, external])
    assert reason_of(excinfo) == "algorithm"


def test_rs256_token_claiming_the_native_issuer_is_refused(native, rsa_pair):
    token = sign(native_claims(), key=rsa_pair[0], algorithm="RS256")
    with pytest.raises(Unauthorized) as excinfo:
        verify(token, [native])
    assert reason_of(excinfo) == "algorithm"


def test_external_token_without_identity_claim_is_refused(external, rsa_pair):
    token = sign(
        {"iss": external.issuer, "aud": "api://abs", "sub": "abc", "iat": NOW, "exp": NOW + 60},
        key=rsa_pair[0],
        algorithm="RS256",
    )
    with pytest.raises(Unauthorized):
        verify(token, [external])


@pytest.mark.parametrize("garbage", ["", "abc", "a.b", "a.b.c", "....", "é.é.é", None, 42])
def test_malformed_tokens_are_refused(native, garbage):
    with pytest.raises(Unauthorized):
        verify(garbage, [native])


def test_issue_refuses_external_config_and_non_positive_ttl(native, external):
    with pytest.raises(TokenConfigError):
        tokens.issue_access_token(external, 1, 60)
    with pytest.raises(TokenConfigError):
        tokens.issue_access_token(native, 1, 0)


def test_default_clock_is_used_when_now_is_omitted(native):
    token, _ = tokens.issue_access_token(native, 1, 60)
    tokens.verify_token(token, [native])
    expired, _ = tokens.issue_access_token(native, 1, 1, now=time.time() - 100)
    with pytest.raises(Unauthorized):
        tokens.verify_token(expired, [native])


# ----------------------------------------------------------------- helpers


@pytest.mark.parametrize("value", [None, "", "Basic abc", "Bearer", "Bearer ", "Token abc", "Bearer a b"])
def test_bearer_header_must_be_a_bearer_credential(value):
    with pytest.raises(Unauthorized):
        tokens.bearer_token(value)


def test_bearer_header_is_case_insensitive_on_the_scheme():
    assert tokens.bearer_token("bearer abc.def.ghi") == "abc.def.ghi"


def test_opaque_tokens_are_random_and_only_their_hash_is_returned_for_storage():
    first, first_hash = tokens.new_opaque_token()
    second, _ = tokens.new_opaque_token()
    assert first != second and len(first) >= 43
    assert first_hash == tokens.hash_opaque(first) and first not in first_hash


# ----------------------------------------------------------------- federated identity


def _entry(**overrides):
    entry = {"issuer": "i", "audience": "a", "algorithms": ["RS256"], "public_key_file": "k.pem"}
    entry.update(overrides)
    return entry


def test_federated_identity_claim_must_be_stable(tmp_path, rsa_pair):
    (tmp_path / "k.pem").write_text(rsa_pair[1])
    assert tokens.parse_issuer_entry(_entry(), str(tmp_path)).identity_claim == "sub"
    assert tokens.parse_issuer_entry(_entry(identity_claim="oid"), str(tmp_path)).identity_claim == "oid"
    for unstable in ("email", "upn", "preferred_username"):
        with pytest.raises(tokens.TokenConfigError, match="stable claim"):
            tokens.parse_issuer_entry(_entry(identity_claim=unstable), str(tmp_path))


def test_federated_email_mapping_requires_email_verified_in_the_issuer_entry(tmp_path, rsa_pair):
    (tmp_path / "k.pem").write_text(rsa_pair[1])
    for entry in (
        _entry(email_claim="email"),
        _entry(email_claim="email", require_email_verified=False),
        _entry(email_claim="email", require_email_verified="yes"),
        _entry(email_claim="", require_email_verified=True),
    ):
        with pytest.raises(tokens.TokenConfigError):
            tokens.parse_issuer_entry(entry, str(tmp_path))
    config = tokens.parse_issuer_entry(
        _entry(email_claim="email", require_email_verified=True), str(tmp_path)
    )
    assert (config.email_claim, config.require_email_verified) == ("email", True)


def test_federated_identity_offers_the_email_only_when_the_token_says_it_is_verified(external):
    base = {"oid": "o-1", "email": "jean@example.com"}
    assert tokens.federated_identity({**base, "email_verified": True}, external) == (
        "o-1",
        "jean@example.com",
    )
    for verified in (None, False, "true", 1):
        claims = {**base, "email_verified": verified} if verified is not None else base
        assert tokens.federated_identity(claims, external) == ("o-1", None)


def test_federated_identity_never_offers_an_email_when_the_issuer_does_not_map_emails(tmp_path, rsa_pair):
    (tmp_path / "k.pem").write_text(rsa_pair[1])
    config = tokens.parse_issuer_entry(_entry(), str(tmp_path))
    claims = {"sub": "s-1", "email": "jean@example.com", "email_verified": True}
    assert tokens.federated_identity(claims, config) == ("s-1", None)

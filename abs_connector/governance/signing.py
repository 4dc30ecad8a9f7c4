"""Opaque, tamper-proof tokens for clients to hand back (cursors), without Odoo.

A token is ``<payload>.<mac>``, both URL-safe base64 without padding; the MAC is HMAC-SHA256 with
a key derived from the server secret and a label naming the kind of token, so a token of one kind
is never accepted as another.
"""

import base64
import binascii
import hashlib
import hmac


class BadSignature(ValueError):
    """Not a token signed by this server for this purpose (forged, edited, truncated)."""


def _key(secret, label):
    secret_bytes = secret.encode() if isinstance(secret, str) else bytes(secret)
    return hmac.new(secret_bytes, label, hashlib.sha256).digest()


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(payload, secret, label):
    """The opaque text carrying ``payload`` (bytes), signed with ``secret`` for ``label``."""
    body = b64(payload)
    mac = hmac.new(_key(secret, label), body.encode("ascii"), hashlib.sha256).digest()
    return f"{body}.{b64(mac)}"


def signed_body(text, secret, label, max_length):
    """The base64 payload part of ``text`` once its signature is checked.

    :raise BadSignature: not text :func:`sign` produced with the same secret and label.
    """
    if not isinstance(text, str) or not 0 < len(text) <= max_length or text.count(".") != 1:
        raise BadSignature("malformed")
    body, mac_text = text.split(".")
    try:
        mac = unb64(mac_text)
        expected = hmac.new(_key(secret, label), body.encode("ascii"), hashlib.sha256).digest()
    except (binascii.Error, ValueError, UnicodeEncodeError) as exc:
        raise BadSignature("malformed") from exc
    if not hmac.compare_digest(mac, expected):
        raise BadSignature("bad signature")
    return body

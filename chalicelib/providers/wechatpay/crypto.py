"""WeChat Pay API v3 cryptography: SHA256withRSA signatures and AEAD_AES_256_GCM resources.

`cryptography` is imported inside the functions (Lambda cold start). Parsed keys are cached by
their PEM text, because parsing an RSA private key costs milliseconds on every call otherwise.
"""
from __future__ import annotations

import base64
import binascii
import secrets
from functools import lru_cache

# WeChat Pay sends deliberately broken signatures with this prefix to test that merchants verify.
SIGNTEST_PREFIX = "WECHATPAY/SIGNTEST/"


class DecryptionFailed(ValueError):
    """The ciphertext, its tag, the nonce, the associated data or the key do not fit together."""


def request_signing_string(method: str, path_with_query: str, timestamp: str | int, nonce: str,
                           body: str) -> str:
    """What the merchant signs: method, path with query as sent, timestamp, nonce, body, one a line."""
    return f"{method.upper()}\n{path_with_query}\n{timestamp}\n{nonce}\n{body}\n"


def response_signing_string(timestamp: str | int, nonce: str, body: str) -> str:
    """What WeChat Pay signs on answers and notifications; an empty body (204) leaves a bare \\n."""
    return f"{timestamp}\n{nonce}\n{body}\n"


def new_nonce() -> str:
    """32 random upper-case hex characters, the shape WeChat Pay's own examples use."""
    return secrets.token_hex(16).upper()


def rsa_sign(message: str, private_key_pem: str) -> str:
    """SHA256withRSA (PKCS#1 v1.5) over the UTF-8 message, base64-encoded."""
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    signature = _private_key(private_key_pem).sign(
        message.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(signature).decode("ascii")


def rsa_verify(message: str, signature_b64: str, public_key_pem: str) -> bool:
    """True only when the signature is valid base64 and verifies; a bad key PEM raises ValueError."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding

    key = _public_key(public_key_pem)
    try:
        signature = base64.b64decode(signature_b64, validate=True)
    except (binascii.Error, ValueError):
        return False
    try:
        key.verify(signature, message.encode("utf-8"), padding.PKCS1v15(), hashes.SHA256())
    except InvalidSignature:
        return False
    return True


def aead_encrypt(apiv3_key: str, nonce: str, associated_data: str, plaintext: bytes | str) -> str:
    """AES-256-GCM with the APIv3 key; returns base64(ciphertext || 16-byte tag)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    data = plaintext.encode("utf-8") if isinstance(plaintext, str) else plaintext
    sealed = AESGCM(_aes_key(apiv3_key)).encrypt(
        nonce.encode("utf-8"), data, associated_data.encode("utf-8"))
    return base64.b64encode(sealed).decode("ascii")


def aead_decrypt(apiv3_key: str, nonce: str, associated_data: str, ciphertext_b64: str) -> bytes:
    """Open a notification resource; raises DecryptionFailed on any mismatch or tampering."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    key = _aes_key(apiv3_key)
    try:
        sealed = base64.b64decode(ciphertext_b64, validate=True)
        return AESGCM(key).decrypt(
            nonce.encode("utf-8"), sealed, (associated_data or "").encode("utf-8"))
    except (binascii.Error, InvalidTag, ValueError) as err:
        raise DecryptionFailed("resource does not decrypt with the APIv3 key") from err


def _aes_key(apiv3_key: str) -> bytes:
    key = apiv3_key.encode("utf-8")
    if len(key) != 32:
        raise ValueError("the APIv3 key must be 32 bytes")
    return key


@lru_cache(maxsize=8)
def _private_key(pem: str):
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    # Our own key from the secret store: skipping the costly consistency check saves ~25 ms cold.
    return load_pem_private_key(pem.encode("ascii"), password=None,
                                unsafe_skip_rsa_key_validation=True)


@lru_cache(maxsize=8)
def _public_key(pem: str):
    """A WeChat Pay public key (public-key mode) or a platform certificate (certificate mode)."""
    from cryptography import x509
    from cryptography.hazmat.primitives.serialization import load_pem_public_key

    data = pem.encode("ascii")
    if b"BEGIN CERTIFICATE" in data:
        return x509.load_pem_x509_certificate(data).public_key()
    return load_pem_public_key(data)

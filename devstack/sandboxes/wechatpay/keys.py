"""The sandbox's own crypto, written apart from the app's client so each checks the other:
RSA-SHA256 signatures (PKCS#1 v1.5), AEAD_AES_256_GCM sealing under the APIv3 key, and fresh
merchant / platform keys with a platform certificate."""
from __future__ import annotations

import base64
import secrets
import string
from datetime import datetime, timedelta, timezone
from functools import lru_cache

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

AUTH_SCHEMA = "WECHATPAY2-SHA256-RSA2048"


@lru_cache(maxsize=16)
def _private_key(pem: str):
    return serialization.load_pem_private_key(pem.encode("ascii"), password=None)


@lru_cache(maxsize=16)
def _public_key(pem: str):
    return serialization.load_pem_public_key(pem.encode("ascii"))


def rsa_sign(message: str, private_key_pem: str) -> str:
    raw = _private_key(private_key_pem).sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())
    return base64.b64encode(raw).decode("ascii")


def rsa_verify(message: str, signature_b64: str, public_key_pem: str) -> bool:
    try:
        raw = base64.b64decode(signature_b64, validate=True)
        _public_key(public_key_pem).verify(raw, message.encode(), padding.PKCS1v15(), hashes.SHA256())
        return True
    except (ValueError, InvalidSignature):
        return False


def aead_encrypt(apiv3_key: str, nonce: str, associated_data: str, plaintext: bytes) -> str:
    sealed = AESGCM(apiv3_key.encode()).encrypt(nonce.encode(), plaintext, associated_data.encode())
    return base64.b64encode(sealed).decode("ascii")


def random_text(alphabet: str, length: int) -> str:
    return "".join(secrets.choice(alphabet) for _ in range(length))


def generate_keys() -> dict:
    """Fresh merchant and platform RSA-2048 key pairs (PEM), serials and a 32-char APIv3 key."""
    def pair() -> tuple[str, str]:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode("ascii")
        public = key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode("ascii")
        return private, public

    merchant_private, merchant_public = pair()
    platform_private, platform_public = pair()
    certificate_private, _ = pair()
    certificate_serial = f"{secrets.randbelow(7) + 1:X}" + secrets.token_hex(19).upper()   # < 2^159
    return {"merchant_private_key_pem": merchant_private, "merchant_public_key_pem": merchant_public,
            "merchant_serial": secrets.token_hex(20).upper(),
            "platform_private_key_pem": platform_private, "platform_public_key_pem": platform_public,
            "public_key_id": "PUB_KEY_ID_" + random_text(string.digits, 32),
            "apiv3_key": random_text(string.ascii_letters + string.digits, 32),
            # The older platform certificate (its own key pair and serial), still in use while a
            # merchant moves to the public key: WeChat Pay then signs with either.
            "certificate_private_key_pem": certificate_private,
            "certificate_pem": _self_signed(certificate_private, certificate_serial),
            "certificate_serial": certificate_serial}


def _self_signed(private_pem: str, serial_hex: str) -> str:
    """A platform certificate for the key, with the serial WeChat Pay would show for it."""
    from cryptography import x509
    from cryptography.x509.oid import NameOID

    key = _private_key(private_pem)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA sandbox")])
    now = datetime.now(timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(int(serial_hex, 16))
            .not_valid_before(now - timedelta(days=1)).not_valid_after(now + timedelta(days=365))
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode("ascii")

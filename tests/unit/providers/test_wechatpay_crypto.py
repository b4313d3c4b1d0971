"""WeChat Pay v3 primitives: SHA256withRSA signatures, AEAD_AES_256_GCM resources, signing strings."""
import base64
import json

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.providers.wechatpay import crypto

APIV3_KEY = "0123456789abcdef0123456789abcdef"
NONCE = "abcdefghijkl"
# Fixed vector: this key, nonce, associated data and plaintext seal to exactly this text.
PLAINTEXT = '{"out_trade_no":"T100001","trade_state":"SUCCESS"}'
SEALED = "Eu6myr+6GaECeJdOZPZ6BX5lii+JsF9qPJIc6KA9qo8zu9SdWjHQmWgpxeNN1tSOvCigLG323aBym7DobmwJ3Ve0"


def _key_pair() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


@pytest.fixture(scope="module")
def keys():
    return _key_pair()


@pytest.fixture(scope="module")
def other_keys():
    return _key_pair()


def test_signature_verifies_with_the_matching_public_key(keys):
    private, public = keys
    message = crypto.request_signing_string("POST", "/v3/pay/transactions/jsapi", 1554208460,
                                            "593BEC0C930BF1AFEB40B4A08C8FB242", '{"a":1}')

    signature = crypto.rsa_sign(message, private)

    assert crypto.rsa_verify(message, signature, public)


def test_signature_is_pkcs1_v15_sha256_as_wechatpay_expects(keys):
    private, public = keys

    signature = crypto.rsa_sign("payload\n", private)

    # PKCS#1 v1.5 is deterministic (PSS would not be) and verifies with a plain library call.
    assert signature == crypto.rsa_sign("payload\n", private)
    serialization.load_pem_public_key(public.encode()).verify(
        base64.b64decode(signature), b"payload\n", padding.PKCS1v15(), hashes.SHA256())


def test_tampered_message_fails_verification(keys):
    private, public = keys
    signature = crypto.rsa_sign("1554209980\nnonce\n{\"amount\":100}\n", private)

    assert not crypto.rsa_verify("1554209980\nnonce\n{\"amount\":101}\n", signature, public)


def test_signature_by_another_key_fails_verification(keys, other_keys):
    signature = crypto.rsa_sign("message\n", other_keys[0])

    assert not crypto.rsa_verify("message\n", signature, keys[1])


@pytest.mark.parametrize("garbage", ["", "not base64!", "WECHATPAY/SIGNTEST/abc", "AAAA"])
def test_garbage_signature_is_refused_without_raising(keys, garbage):
    assert crypto.rsa_verify("message\n", garbage, keys[1]) is False


@settings(max_examples=25, deadline=None)
@given(message=st.text())
def test_any_text_signs_and_verifies(keys, message):
    assert crypto.rsa_verify(message, crypto.rsa_sign(message, keys[0]), keys[1])


def test_known_vector_decrypts_to_the_known_plaintext():
    assert crypto.aead_decrypt(APIV3_KEY, NONCE, "transaction", SEALED) == PLAINTEXT.encode()
    assert crypto.aead_encrypt(APIV3_KEY, NONCE, "transaction", PLAINTEXT) == SEALED


def test_decrypts_what_was_encrypted_and_yields_the_transaction():
    sealed = crypto.aead_encrypt(APIV3_KEY, NONCE, "transaction", json.dumps({"total": 100}))

    assert json.loads(crypto.aead_decrypt(APIV3_KEY, NONCE, "transaction", sealed)) == {"total": 100}


def _flip_byte(sealed_b64: str, index: int) -> str:
    raw = bytearray(base64.b64decode(sealed_b64))
    raw[index] ^= 0x01
    return base64.b64encode(bytes(raw)).decode()


@pytest.mark.parametrize("index", [0, -1, -16])  # first ciphertext byte, last and first tag byte
def test_tampered_ciphertext_or_tag_fails(index):
    with pytest.raises(crypto.DecryptionFailed):
        crypto.aead_decrypt(APIV3_KEY, NONCE, "transaction", _flip_byte(SEALED, index))


@pytest.mark.parametrize("key, nonce, associated_data", [
    ("fedcba9876543210fedcba9876543210", NONCE, "transaction"),
    (APIV3_KEY, "abcdefghijkm", "transaction"),
    (APIV3_KEY, NONCE, "refund"),
])
def test_wrong_key_nonce_or_associated_data_fails(key, nonce, associated_data):
    with pytest.raises(crypto.DecryptionFailed):
        crypto.aead_decrypt(key, nonce, associated_data, SEALED)


def test_ciphertext_that_is_not_base64_fails():
    with pytest.raises(crypto.DecryptionFailed):
        crypto.aead_decrypt(APIV3_KEY, NONCE, "transaction", "%%%")


def test_apiv3_key_must_be_32_bytes():
    with pytest.raises(ValueError):
        crypto.aead_encrypt("short", NONCE, "", b"x")


@settings(max_examples=50, deadline=None)
@given(plaintext=st.binary(), nonce=st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789",
                                            min_size=8, max_size=32), associated_data=st.text())
def test_any_plaintext_round_trips(plaintext, nonce, associated_data):
    sealed = crypto.aead_encrypt(APIV3_KEY, nonce, associated_data, plaintext)

    assert crypto.aead_decrypt(APIV3_KEY, nonce, associated_data, sealed) == plaintext


def test_signing_strings_end_every_line_with_newline_even_for_empty_bodies():
    assert crypto.request_signing_string("get", "/v3/refund/domestic/refunds/R1", "1", "N", "") == \
        "GET\n/v3/refund/domestic/refunds/R1\n1\nN\n\n"
    assert crypto.response_signing_string("1554209980", "c5ac", "") == "1554209980\nc5ac\n\n"


def test_nonces_are_32_characters_and_do_not_repeat():
    nonces = {crypto.new_nonce() for _ in range(1000)}

    assert len(nonces) == 1000
    assert all(len(nonce) == 32 and nonce.isalnum() for nonce in nonces)

"""Client of the asynchronous e-invoice issuer, modelled on Nuonuo's open API (诺税通, 数电票).

Every call is POST {invoice_api_url}?senid=&nonce=&timestamp=&appkey= with the API method in
the `method` header, a JSON body, and `X-Nuonuo-Sign` = base64(HMAC-SHA1(app_secret, S)) where
    S = "a={last}&l={middle}&p={first}&k={appkey}&i={senid}&n={nonce}&t={timestamp}&f={body}"
first/middle/last are the path segments of the URL (open, v1, services), senid a random
32-hex id, nonce 8 random digits, timestamp Unix seconds, body the exact UTF-8 text sent.

The caller's serial_no is Nuonuo's orderNo (billId for a reversal). The issuer accepts one
request per serial and answers a repeat with E9106, read here as "already accepted", so a
resubmission can never produce a second invoice.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import lru_cache
from urllib.parse import urlsplit

from chalicelib.domain.times import SHANGHAI
from chalicelib.domain.errors import UpstreamUnavailable
from chalicelib.domain.invoices.lines import InvoiceLine
from chalicelib.domain.money import yuan_text
from chalicelib.providers import http
from chalicelib.providers.secrets import MissingSecret, get_secret
from chalicelib.settings import get_settings

SERVICES_PATH = "/open/v1/services"
_API = "nuonuo.OpeMplatform."
OK, DUPLICATE, NOT_FOUND, BUSY, STALE_TIMESTAMP = "E0000", "E9106", "E9500", "E9999", "070302"
RED_REASONS = {"SALES_RETURN": "1", "INVOICING_ERROR": "2", "SERVICE_STOPPED": "3",
               "SALES_ALLOWANCE": "4"}
# The issuer gives failures as text only; these words mark a cause that reInvoice may cure.
TRANSIENT_MARKERS = ("繁忙", "稍后", "超时", "暂不可用", "网络")


@dataclass(frozen=True)
class SubmitResult:
    serial_no: str
    issuer_serial: str | None   # Nuonuo's invoiceSerialNum, when it tells
    duplicate: bool             # the serial had been submitted before


@dataclass(frozen=True)
class IssueResult:
    status: str                 # ISSUING, ISSUED or FAILED
    number: str | None = None   # 20 digits once ISSUED
    issued_at: str | None = None  # UTC ISO 8601
    fail_reason: str | None = None
    retryable: bool = False     # FAILED, and retry(serial_no) may still issue it
    numbered: bool = False      # FAILED after a number was given (签章失败): never release orders
    pdf_url: str | None = None  # the platform's own files of the issued invoice
    ofd_url: str | None = None


class InvoiceIssuerError(Exception):
    retryable = False

    def __init__(self, message: str, *, code: str = ""):
        super().__init__(message)
        self.code = code


class InvoiceIssuerRetryableError(InvoiceIssuerError):
    """Busy, unreachable or timed out: the same call may succeed later."""
    retryable = True


class InvoiceIssuerFinalError(InvoiceIssuerError):
    """Refused (bad request, credentials or signature): repeating the call cannot succeed."""


class InvoiceNotSubmitted(InvoiceIssuerError):
    """The issuer holds nothing under this serial: submitting it now is safe."""
    retryable = True


def string_to_sign(path: str, app_key: str, senid: str, nonce: str, timestamp: str,
                   body: str) -> str:
    first, middle, last = path.strip("/").split("/")[-3:]
    return f"a={last}&l={middle}&p={first}&k={app_key}&i={senid}&n={nonce}&t={timestamp}&f={body}"


def sign(secret: str, message: str) -> str:
    digest = hmac.new(secret.encode(), message.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def _utc_iso(epoch_ms) -> str | None:
    if not epoch_ms:
        return None
    moment = datetime.fromtimestamp(int(epoch_ms) / 1000, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _detail(line: InvoiceLine) -> dict:
    detail = {"goodsName": line.goods_name, "goodsCode": line.tax_code, "withTaxFlag": "1",
              "taxRate": line.tax_rate, "taxIncludedAmount": yuan_text(line.amount_fen),
              "taxExcludedAmount": yuan_text(line.net_fen), "tax": yuan_text(line.tax_fen),
              "invoiceLineProperty": "0",
              # 数电: exemption is favouredPolicyFlag alone (04 不征税); zeroRateFlag, a field
              # of the older invoice kinds, stays empty on 数电 lines.
              "favouredPolicyFlag": "04" if line.vat_exempt else "",
              "zeroRateFlag": ""}
    if line.quantity:
        detail.update(num=line.quantity, price=line.unit_price, unit=line.unit)
    return detail


class MissingClerk(ValueError):
    """The seller has no drawer configured: the platform would refuse the request."""


def billing_order(serial_no: str, invoice: dict, now: float | None = None) -> dict:
    """The requestBillingNew order for {seller, buyer, lines, clerk, remark?}; clerk is the
    drawer bound to the seller's invoicing account (数电 refuses any other name)."""
    seller, buyer = invoice["seller"], invoice["buyer"]
    if not invoice.get("clerk"):
        raise MissingClerk(f"no drawer (clerk) is configured for seller {seller.get('name')}")
    lines = [line if isinstance(line, InvoiceLine) else InvoiceLine.from_dict(line)
             for line in invoice["lines"]]
    stamp = datetime.fromtimestamp(time.time() if now is None else now, SHANGHAI)
    return {
        "orderNo": serial_no, "invoiceDate": stamp.strftime("%Y-%m-%d %H:%M:%S"),
        "invoiceType": "1", "invoiceLine": "pc",   # a blue 数电普票
        "specificFactor": "1" if any(line.is_refined_oil for line in lines) else "0",
        "salerTaxNum": seller["tax_id"], "salerTel": seller.get("phone") or "",
        "salerAddress": seller.get("address") or "",
        "salerAccount": " ".join(filter(None, [seller.get("bank"), seller.get("account")])),
        "buyerName": buyer["name"], "buyerTaxNum": buyer.get("tax_id") or "",
        "buyerTel": buyer.get("phone") or "", "buyerAddress": buyer.get("address") or "",
        "buyerAccount": " ".join(filter(None, [buyer.get("bank"), buyer.get("account")])),
        "naturalPersonFlag": "0", "pushMode": "-1",   # we mail the platform's files ourselves
        "clerk": invoice["clerk"], "remark": invoice.get("remark") or "",
        "invoiceDetail": [_detail(line) for line in lines],
    }


def _issue_result(invoice: dict) -> IssueResult:
    status = str(invoice.get("status") or "")
    cause = invoice.get("failCause") or invoice.get("statusMsg") or "issuing failed"
    if status in ("2", "4"):   # 开票完成; 已红冲 (it was issued)
        number = invoice.get("allElectronicInvoiceNumber") or invoice.get("invoiceNo")
        return IssueResult("ISSUED", number, _utc_iso(invoice.get("invoiceTime")),
                           pdf_url=invoice.get("pdfUrl") or None,
                           ofd_url=invoice.get("ofdUrl") or None)
    if status == "22":         # 开票失败: final until reInvoice
        return IssueResult("FAILED", fail_reason=cause,
                           retryable=any(marker in cause for marker in TRANSIENT_MARKERS))
    if status == "24":         # 签章失败: numbered but unsealed; reInvoice seals it again
        return IssueResult("FAILED", fail_reason=cause, retryable=True, numbered=True)
    if status in ("3", "31"):  # voided on the issuer's side
        return IssueResult("FAILED", fail_reason=cause)
    # 20 开票中, 21 签章中, or anything new.
    return IssueResult("ISSUING")


class InvoiceIssuerClient:
    def __init__(self, api_url: str, app_key: str, app_secret: str, access_token: str = ""):
        # A bare host means the standard path of the services endpoint.
        if not urlsplit(api_url).path.strip("/"):
            api_url = api_url.rstrip("/") + SERVICES_PATH
        self._url = api_url
        self._path = urlsplit(self._url).path
        self._app_key, self._secret, self._token = app_key, app_secret, access_token

    def submit(self, serial_no: str, invoice: dict) -> SubmitResult:
        body = self._call("requestBillingNew", {"order": billing_order(serial_no, invoice)},
                          accept=(DUPLICATE,))
        result = body.get("result") or {}
        return SubmitResult(serial_no, result.get("invoiceSerialNum"), body["code"] == DUPLICATE)

    def query(self, serial_no: str) -> IssueResult:
        return _issue_result(self._invoices({"orderNos": [serial_no]}, serial_no)[0])

    def retry(self, serial_no: str) -> None:
        """Ask the issuer to run a failed request again under the same serial (reInvoice)."""
        self._call("reInvoice", {"orderno": serial_no}, not_found_serial=serial_no)

    def submit_red_letter(self, serial_no: str, original_number: str, reason: str, *,
                          seller: dict | None = None, buyer: dict | None = None) -> SubmitResult:
        """Apply for the full red-letter reversal (红字确认单) of an issued invoice; the red
        invoice is issued automatically and gets its own number. reason is a RED_REASONS key."""
        seller, buyer = seller or {}, buyer or {}
        answer = self._call("saveInvoiceRedConfirm", {
            "billId": serial_no, "blueInvoiceLine": "pc", "applySource": "0",
            "blueElecInvoiceNumber": original_number, "redReason": RED_REASONS[reason],
            "sellerTaxNo": seller.get("tax_id") or "", "sellerName": seller.get("name") or "",
            "buyerTaxNo": buyer.get("tax_id") or "", "buyerName": buyer.get("name") or ""},
            accept=(DUPLICATE,))
        return SubmitResult(serial_no, None, answer["code"] == DUPLICATE)

    def query_red_letter(self, serial_no: str) -> IssueResult:
        bills = (self._call("queryInvoiceRedConfirm", {"identity": "0", "billId": serial_no})
                 .get("result") or {}).get("list") or []
        if not bills:
            raise InvoiceNotSubmitted(f"no reversal under {serial_no}", code=NOT_FOUND)
        bill = bills[0]
        status = str(bill.get("billStatus") or "")
        if status == "16" or status in ("05", "06", "07", "08", "09", "10"):
            reason = bill.get("billMessage") or f"red form {status}"
            return IssueResult("FAILED", fail_reason=reason)
        if not bill.get("redInvoiceNumber") or not bill.get("invoiceSerialNum"):
            return IssueResult("ISSUING")
        red = _issue_result(self._invoices({"serialNos": [bill["invoiceSerialNum"]]}, serial_no)[0])
        if red.status == "FAILED":   # reInvoice does not apply to a reversal: apply anew
            return IssueResult("FAILED", fail_reason=red.fail_reason)
        return red if red.issued_at else IssueResult("ISSUING")

    def download(self, url: str) -> bytes:
        """One of the platform's files of an issued invoice (pdfUrl, ofdUrl)."""
        try:
            response = http.request("GET", url, idempotent=True)
        except UpstreamUnavailable as err:
            raise InvoiceIssuerRetryableError(str(err), code="UNREACHABLE") from err
        if response.status_code != 200 or not response.content:
            # Said without the URL: it may carry an access key of the platform's storage.
            raise InvoiceIssuerRetryableError(f"invoice file: HTTP {response.status_code}",
                                              code=str(response.status_code))
        return response.content

    def _invoices(self, payload: dict, serial_no: str) -> list[dict]:
        found = self._call("queryInvoiceResult", {**payload, "isOfferInvoiceDetail": "0"},
                           not_found_serial=serial_no).get("result") or []
        found = [found] if isinstance(found, dict) else found
        if not found:
            raise InvoiceNotSubmitted(f"nothing issued under {serial_no}", code=NOT_FOUND)
        return found

    def _call(self, method: str, payload: dict, *, accept: tuple = (),
              not_found_serial: str | None = None) -> dict:
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
        senid, nonce = uuid.uuid4().hex, str(10_000_000 + secrets.randbelow(90_000_000))
        timestamp = str(int(time.time()))
        headers = {"Content-Type": "application/json; charset=utf-8", "method": _API + method,
                   "X-Nuonuo-Sign": sign(self._secret, string_to_sign(
                       self._path, self._app_key, senid, nonce, timestamp, body))}
        if self._token:
            headers["accessToken"] = self._token
        params = {"senid": senid, "nonce": nonce, "timestamp": timestamp, "appkey": self._app_key}
        try:
            # Safe to resend: the serial inside makes every method idempotent at the issuer.
            response = http.request("POST", self._url, params=params, data=body.encode(),
                                    headers=headers, idempotent=True)
        except UpstreamUnavailable as err:
            raise InvoiceIssuerRetryableError(str(err), code="UNREACHABLE") from err
        if response.status_code == 429 or response.status_code >= 500:
            raise InvoiceIssuerRetryableError(f"{method}: HTTP {response.status_code}",
                                              code=str(response.status_code))
        try:
            answer = response.json()
            code = str(answer["code"])
        except (ValueError, KeyError, TypeError) as err:
            # A 4xx page instead of an answer means a wrong URL: no retry will find the issuer.
            error = (InvoiceIssuerFinalError if response.status_code >= 400
                     else InvoiceIssuerRetryableError)
            raise error(f"{method}: HTTP {response.status_code} without an issuer answer",
                        code="BAD_ANSWER") from err
        if code == OK or code in accept:
            return answer
        message = f"{method}: {code} {answer.get('describe') or ''}".strip()
        if code == NOT_FOUND and not_found_serial is not None:
            raise InvoiceNotSubmitted(message, code=code)
        # A stale timestamp is a clock problem; the next call carries a fresh one.
        if code in (BUSY, STALE_TIMESTAMP):
            raise InvoiceIssuerRetryableError(message, code=code)
        raise InvoiceIssuerFinalError(message, code=code)


@lru_cache(maxsize=1)
def get_invoice_issuer() -> InvoiceIssuerClient:
    settings = get_settings()
    try:
        token = get_secret("invoice_access_token")
    except MissingSecret:
        token = ""   # the sandbox needs none; Nuonuo wants its OAuth access token
    return InvoiceIssuerClient(settings.invoice_api_url, get_secret("invoice_app_key"),
                               get_secret("invoice_app_secret"), access_token=token)

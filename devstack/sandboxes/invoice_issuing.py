"""The invoice platform's work behind its gateway (invoice_issuer.py): requests accepted under the
caller's serial, issued (or failed) `delay_s` later, numbered, reversed by a red-letter
confirmation, with the files of an issued invoice drawn once and kept. Each API method answers
(code, describe, result); every field is checked against the documented limits first
(invoice_rules.py)."""
from __future__ import annotations

import random
import threading
import time
import uuid
from dataclasses import dataclass

from devstack.sandboxes import invoice_files
from devstack.sandboxes.invoice_rules import RED_CONFIRM, check_fields, check_order, money

OK, BAD_REQUEST, DUPLICATE, NOT_FOUND, BUSY = "E0000", "E9101", "E9106", "E9500", "E9999"
ISSUING, ISSUED, FAILED, SIGNING_FAILED = "20", "2", "22", "24"
RED_PENDING, RED_ISSUED, RED_FAILED = "15", "01", "16"
STATUS_TEXT = {ISSUING: "开票中", ISSUED: "开票完成（最终状态）", FAILED: "开票失败",
               SIGNING_FAILED: "签章失败"}
SIGNING_CAUSE = "签章失败：签章服务暂不可用"
PERMANENT_CAUSE = "开票失败：购方信息与税局登记不一致"
TRANSIENT_CAUSE = "开票失败：税局系统繁忙，请稍后重试"
RED_REFUSED_CAUSE = "红字确认单申请失败：税局校验未通过"


@dataclass
class InvoiceIssuerSandboxConfig:
    app_key: str = "sandbox-invoice-app"
    app_secret: str = "sandbox-invoice-secret"
    delay_s: float = 1.0                # time from acceptance to the issued (or failed) result
    fail_rate_temporary: float = 0.0    # share of calls answered 系统繁忙 (retry the call)
    fail_rate_permanent: float = 0.0    # share of requests that fail for good
    fail_rate_transient: float = 0.0    # share of issuing runs failing in a way reInvoice cures
    fail_rate_signing: float = 0.0      # share of issuing runs numbered but not sealed (24)
    seed: int | None = None
    max_clock_skew_s: float = 300.0
    area_code: str = "14"               # 山西, the 3rd and 4th digits of every number


@dataclass
class Request:
    order_no: str
    kind: str                   # "blue" or "red"
    issuer_serial: str
    order: dict
    ready_at: float
    outcome: str                # "issued", "permanent" or "transient"
    status: str = ISSUING
    number: str | None = None
    issued_at_ms: int | None = None
    original_number: str | None = None
    reason: str = ""


class Issuer:
    """The platform's state, read and changed only under `lock`."""

    def __init__(self, config: InvoiceIssuerSandboxConfig):
        self.config = config
        self.lock = threading.Lock()
        self.rng = random.Random(config.seed)
        self.by_order: dict[str, Request] = {}
        self.red_by_bill: dict[str, Request] = {}
        self.by_serial: dict[str, Request] = {}
        self.by_number: dict[str, Request] = {}
        self.reversed_by: dict[str, str] = {}   # blue number -> billId of its reversal
        self.files_by_name: dict[str, Request] = {}
        self.file_bytes: dict[str, bytes] = {}
        self.base_url = ""   # set from the first request: where this app is reached
        # Start from the clock so numbers stay unique across restarts of the local stack.
        self.sequence = int(time.time() * 1000) % 10 ** 10

    def roll(self, share: float) -> bool:
        return share > 0 and self.rng.random() < share

    def outcome(self) -> str:
        if self.roll(self.config.fail_rate_permanent):
            return "permanent"
        if self.roll(self.config.fail_rate_signing):
            return "signing"
        return "transient" if self.roll(self.config.fail_rate_transient) else "issued"

    def new_request(self, order_no: str, kind: str, order: dict) -> Request:
        req = Request(order_no, kind, uuid.uuid4().hex[:20], order,
                       time.monotonic() + self.config.delay_s, self.outcome())
        self.by_serial[req.issuer_serial] = req
        return req

    def settle(self, req: Request) -> None:
        """Move a request whose time has come to its final state."""
        if req.status != ISSUING or time.monotonic() < req.ready_at:
            return
        if req.outcome in ("issued", "signing"):
            if req.number is None:   # a re-sealed invoice keeps the number it was given
                self.sequence = (self.sequence + 1) % 10 ** 10
                year = time.strftime("%y", time.gmtime())
                req.number = f"{year}{self.config.area_code}200000{self.sequence:010d}"
                req.issued_at_ms = int(time.time() * 1000)
            if req.outcome == "signing":
                req.status, req.reason = SIGNING_FAILED, SIGNING_CAUSE
                return
            req.status = ISSUED
            self.by_number[req.number] = req
        else:
            req.status = FAILED
            req.reason = PERMANENT_CAUSE if req.outcome == "permanent" else TRANSIENT_CAUSE
            if req.kind == "red":
                # A refused reversal leaves the invoice free for another application.
                req.reason = RED_REFUSED_CAUSE
                self.reversed_by.pop(req.original_number, None)

    def invoice_view(self, req: Request) -> dict:
        self.settle(req)
        order = req.order
        amounts = [sum(money(line.get(key) or 0) for line in order.get("invoiceDetail", []))
                   for key in ("taxExcludedAmount", "tax", "taxIncludedAmount")]
        direction = -1 if req.kind == "red" else 1
        return {
            "serialNo": req.issuer_serial, "orderNo": req.order_no, "status": req.status,
            "statusMsg": STATUS_TEXT[req.status],
            "failCause": req.reason, "allElectronicInvoiceNumber": req.number or "",
            "invoiceNo": req.number or "", "invoiceCode": "", "invoiceTime": req.issued_at_ms,
            "invoiceKind": "pc", "payerName": order.get("buyerName", ""),
            "payerTaxNo": order.get("buyerTaxNum", ""),
            "exTaxAmount": f"{direction * amounts[0]:.2f}",
            "taxAmount": f"{direction * amounts[1]:.2f}",
            "orderAmount": f"{direction * amounts[2]:.2f}",
            "pdfUrl": self.file_url(req, "pdf"), "ofdUrl": self.file_url(req, "ofd"),
        }

    def file_url(self, req: Request, kind: str) -> str:
        """Where the platform serves an issued invoice's file; empty until it is issued."""
        if req.status != ISSUED:
            return ""
        self.files_by_name.setdefault(f"{req.issuer_serial}.{kind}", req)
        return f"{self.base_url}/files/{req.issuer_serial}.{kind}"

    def file(self, name: str) -> bytes | None:
        """The bytes of a file, drawn once and kept, so every download is the same file. Called
        without the lock: only reading and keeping take it, so a download being drawn does not
        hold up the API calls and the other downloads."""
        with self.lock:
            req = self.files_by_name.get(name)
            if req is None:
                return None
            if name in self.file_bytes:
                return self.file_bytes[name]
            doc = invoice_files.document(req.order, req.number, req.issued_at_ms,
                                         req.original_number)
        render = invoice_files.render_pdf if name.endswith(".pdf") else invoice_files.render_ofd
        drawn = render(doc)
        with self.lock:   # two drawing at once: the first kept is the file
            return self.file_bytes.setdefault(name, drawn)

    def red_view(self, req: Request) -> dict:
        self.settle(req)
        status = {ISSUING: RED_PENDING, ISSUED: RED_ISSUED, FAILED: RED_FAILED}[req.status]
        return {"billId": req.order_no, "billNo": req.issuer_serial, "billStatus": status,
                "billMessage": req.reason, "blueElecInvoiceNumber": req.original_number,
                "redInvoiceNumber": req.number or "",
                "invoiceSerialNum": req.issuer_serial if req.number else "",
                "redReason": req.order.get("redReason", "")}

    # --- the API methods; each returns (code, describe, result) ---

    def request_billing(self, body: dict):
        order = body.get("order")
        order_no = str(order.get("orderNo") or "") if isinstance(order, dict) else ""
        if order_no in self.by_order:
            return DUPLICATE, "订单编号或流水号不能重复", {
                "invoiceSerialNum": self.by_order[order_no].issuer_serial}
        try:
            check_order(order)
        except ValueError as err:
            return BAD_REQUEST, str(err), None
        req = self.by_order[order_no] = self.new_request(order_no, "blue", order)
        return OK, "开票提交成功", {"invoiceSerialNum": req.issuer_serial}

    def query_invoices(self, body: dict):
        wanted = [self.by_order.get(str(n)) for n in body.get("orderNos") or []]
        wanted += [self.by_serial.get(str(s)) for s in body.get("serialNos") or []]
        found = [self.invoice_view(req) for req in wanted if req is not None]
        return (OK, "查询成功", found) if found else (NOT_FOUND, "发票不存在", None)

    def reinvoice(self, body: dict):
        req = self.by_order.get(str(body.get("orderno") or "")) \
            or self.by_serial.get(str(body.get("fpqqlsh") or ""))
        if req is None:
            return NOT_FOUND, "发票不存在", None
        self.settle(req)
        if req.status == ISSUED:
            return OK, "发票已生成，无需再重试开票", None
        if req.status in (FAILED, SIGNING_FAILED):
            req.status, req.reason = ISSUING, ""
            req.ready_at = time.monotonic() + self.config.delay_s
            if req.outcome == "signing":
                req.outcome = "issued"   # sealed again under the number it holds
            elif req.outcome != "permanent":
                transient = self.roll(self.config.fail_rate_transient)
                req.outcome = "transient" if transient else "issued"
            return OK, "重试开票提交成功", None
        return OK, "开票中（重试中），请耐心等待开票结果", None

    def save_red_confirm(self, body: dict):
        try:
            check_fields(body, RED_CONFIRM)
        except ValueError as err:
            return BAD_REQUEST, str(err), None
        bill_id = str(body["billId"])
        blue_number = str(body["blueElecInvoiceNumber"])
        if bill_id in self.red_by_bill:
            return DUPLICATE, "红字确认单申请号不能重复", {"billId": bill_id}
        blue = self.by_number.get(blue_number)
        if blue is None or blue.kind != "blue":
            return BAD_REQUEST, "蓝字发票不存在", None
        if blue_number in self.reversed_by:
            return BAD_REQUEST, "该蓝字发票已全额冲红", None
        red_order = {**blue.order, "redReason": str(body.get("redReason") or "")}
        req = self.new_request(bill_id, "red", red_order)
        req.original_number = blue_number
        req.outcome = "permanent" if req.outcome == "permanent" else "issued"
        self.red_by_bill[bill_id] = req
        self.reversed_by[blue_number] = bill_id
        return OK, "红字确认单提交成功", {"billId": bill_id}

    def query_red_confirm(self, body: dict):
        req = self.red_by_bill.get(str(body.get("billId") or ""))
        bills = [self.red_view(req)] if req else []
        return OK, "查询成功", {"total": len(bills), "list": bills}


METHODS = {  # the `method` header's last segment -> what answers it
    "requestBillingNew": Issuer.request_billing,
    "queryInvoiceResult": Issuer.query_invoices,
    "reInvoice": Issuer.reinvoice,
    "saveInvoiceRedConfirm": Issuer.save_red_confirm,
    "queryInvoiceRedConfirm": Issuer.query_red_confirm,
}

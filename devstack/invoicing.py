"""The local stack's invoice parts: the issuer sandbox, the SMTP sink with its HTTP outbox, the
sellers (tax id and drawer) of the seeded station payees, and the environment the app reads
them from."""
from __future__ import annotations

import hashlib
import json
import secrets

from devstack import seed
from devstack.sandboxes import invoice_issuer, mail
from devstack.servers import RunningServer, serve

TAIYUAN_REGION = "140100"
MAIL_SENDER = "invoices@fuel.example.cn"


DRAWER = "王晓燕"   # the drawer bound to each seeded seller's invoicing account


def sandbox_tax_id(payee: str) -> str:
    """A valid 统一社会信用代码 for a seeded payee: 91 (enterprise), Taiyuan's region code, nine
    digits from the name, and the check character of GB 32100."""
    from chalicelib.domain.invoices.title import uscc_check_character

    digits = str(int(hashlib.sha256(payee.encode()).hexdigest(), 16))[-9:]
    body = f"91{TAIYUAN_REGION}{digits}"
    return body + uscc_check_character(body)


def sellers_setting(payees) -> str:
    """INVOICE_SELLER_TAX_IDS for the payees: each with its tax id and drawer."""
    return json.dumps({p: {"tax_id": sandbox_tax_id(p), "clerk": DRAWER} for p in payees},
                      ensure_ascii=False)


class Invoicing:
    def __init__(self, host: str = "127.0.0.1", issuer_delay_s: float = 1.0):
        self.host = host
        self.app_key = f"sandbox-{secrets.token_hex(4)}"
        self.app_secret = secrets.token_hex(16)
        self.file_link_key = secrets.token_urlsafe(48)
        self.issuer_delay_s = issuer_delay_s
        self.issuer: RunningServer | None = None
        self.outbox_server: RunningServer | None = None
        self.sink: mail.SmtpSink | None = None

    def start(self) -> "Invoicing":
        self.issuer = serve(invoice_issuer.create_app(invoice_issuer.InvoiceIssuerSandboxConfig(
            app_key=self.app_key, app_secret=self.app_secret, delay_s=self.issuer_delay_s)),
            self.host, keep_alive=True)
        self.sink = mail.SmtpSink(self.host).start()
        self.outbox_server = serve(mail.create_app(self.sink.outbox), self.host)
        return self

    def stop(self) -> None:
        for part in (self.outbox_server, self.sink, self.issuer):
            if part is not None:
                part.stop()

    def secrets(self) -> dict:
        return {"invoice_app_key": self.app_key, "invoice_app_secret": self.app_secret,
                "file_link_signing_key": self.file_link_key}

    def environment(self) -> dict[str, str]:
        payees = sorted({station["payee"] for station in seed.load_stations()})
        return {
            "INVOICE_API_URL": self.issuer.url + invoice_issuer.SERVICES_PATH,
            "SMTP_HOST": self.sink.host, "SMTP_PORT": str(self.sink.port), "SMTP_TLS": "none",
            "MAIL_SENDER": MAIL_SENDER,
            "INVOICE_SELLER_TAX_IDS": sellers_setting(payees),
        }

    @staticmethod
    def resource_environment(resources: dict) -> dict[str, str]:
        """The queue URL and bucket, known once infra/ has been created on moto."""
        return {"INVOICE_QUEUE_URL": resources["InvoiceQueue"]["Ref"],
                "INVOICE_BUCKET": resources["InvoiceBucket"]["Ref"]}

    def info(self) -> dict:
        return {"invoice_url": self.issuer.url,
                "mail_outbox_url": f"{self.outbox_server.url}/outbox"}

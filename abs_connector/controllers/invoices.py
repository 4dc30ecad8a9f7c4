"""Customer invoices of a Service Account, for the roles that read invoices (finance, staff,
admin), scoped by the invoices' V2 stamps like orders. The PDF is Odoo's own invoice report."""

from odoo import http
from odoo.exceptions import UserError
from odoo.http import content_disposition, request

from ..governance import api_schemas, errors, visibility
from .common import (
    api_route,
    dispatch,
    dt,
    json_response,
    list_params,
    paged,
    sa_context,
    search_domain,
    text,
)

SEARCH_FIELDS = ["name", "partner_id.name", "invoice_origin"]
CUSTOMER_MOVE_TYPES = ("out_invoice", "out_refund")
INVOICE_REPORT = "account.account_invoices"


def serialize_invoice(invoice):
    return {
        "id": invoice.id,
        "name": invoice.name or "",
        "move_type": invoice.move_type,
        "state": invoice.state,
        "payment_state": invoice.payment_state or "",
        "invoice_date": invoice.invoice_date.isoformat() if invoice.invoice_date else None,
        "invoice_date_due": invoice.invoice_date_due.isoformat() if invoice.invoice_date_due else None,
        "amount_untaxed": float(invoice.amount_untaxed),
        "amount_total": float(invoice.amount_total),
        "amount_residual": float(invoice.amount_residual),
        "currency": text(invoice.currency_id.name),
        "partner_id": invoice.partner_id.id or None,
        "partner_name": text(invoice.partner_id.name),
        "order_ids": invoice.line_ids.sale_line_ids.order_id.ids,
        "sa_id": invoice.x_sa_id.id or None,
        "actor_id": invoice.x_actor_id.id or None,
        "created_at": dt(invoice.create_date),
    }


def _invoice_domain(context):
    return [
        ("move_type", "in", CUSTOMER_MOVE_TYPES),
        *visibility.stamp_domain(context.access, "read_invoices"),
    ]


def _visible_invoice(context, invoice_id):
    """The invoice if the caller's role reads invoices (else 403) and sees it (else 404)."""
    context.require("read_invoices")
    invoice = request.env["account.move"].search(
        [("id", "=", invoice_id), *_invoice_domain(context)], limit=1
    )
    if not invoice:
        raise errors.NotFound()
    return invoice


class AbsInvoiceController(http.Controller):
    @api_route("/api/invoices", auth="abs_jwt")
    def abs_invoices(self, **params):
        return dispatch({"GET": self._list}, params)

    @api_route("/api/invoices/<int:invoice_id>", auth="abs_jwt")
    def abs_invoice(self, invoice_id, **_params):
        return dispatch({"GET": self._get}, invoice_id)

    @api_route("/api/invoices/<int:invoice_id>/pdf", auth="abs_jwt")
    def abs_invoice_pdf(self, invoice_id, **_params):
        return dispatch({"GET": self._pdf}, invoice_id)

    def _list(self, params):
        context = sa_context()
        context.require("read_invoices")
        page = list_params(params, api_schemas.INVOICE_ORDERS, "invoices")
        domain = _invoice_domain(context) + search_domain(page["search"], SEARCH_FIELDS)
        return json_response(
            paged(
                request.env["account.move"],
                domain,
                page,
                lambda invoices: [serialize_invoice(invoice) for invoice in invoices],
            )
        )

    def _get(self, invoice_id):
        return json_response(serialize_invoice(_visible_invoice(sa_context(), invoice_id)))

    def _pdf(self, invoice_id):
        invoice = _visible_invoice(sa_context(), invoice_id)
        Report = request.env["ir.actions.report"]
        try:
            content, report_type = Report._render_qweb_pdf(INVOICE_REPORT, [invoice.id])
        except UserError:
            if Report.get_wkhtmltopdf_state() == "install":
                raise errors.ServiceUnavailable("This server cannot render PDF documents (no wkhtmltopdf).")
            raise
        # Odoo's test mode renders reports as HTML; production renders the PDF.
        mimetype = "application/pdf" if report_type == "pdf" else "text/html"
        filename = f"{(invoice.name or 'invoice').replace('/', '_')}.{report_type}"
        return request.make_response(
            content,
            headers=[
                ("Content-Type", mimetype),
                ("Content-Disposition", content_disposition(filename)),
                ("Cache-Control", "no-store"),
            ],
        )

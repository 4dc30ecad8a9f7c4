from werkzeug.exceptions import NotFound

from odoo.exceptions import AccessError, MissingError
from odoo.http import request, route

from odoo.addons.sale.controllers.portal import CustomerPortal


class AbsCustomerPortal(CustomerPortal):
    @route()
    def home(self, **kw):
        response = super().home(**kw)
        # The rendering is lazy: the agent card is added to the values of /my only,
        # not to every portal page nor to the /my/counters JSON.
        partner = request.env.user.partner_id
        response.qcontext["abs_service_contact"] = partner._abs_portal_service_contact()
        return response

    # Odoo answers a document the visitor may not open with a redirect to /my.
    # Governed customers get what the API gives (docs/adr/0004-one-visibility-helper.md): a 404, the same
    # answer as for a document that does not exist, so an id reveals nothing.

    @route()
    def portal_order_page(
        self,
        order_id,
        report_type=None,
        access_token=None,
        message=False,
        download=False,
        downpayment=None,
        **kw,
    ):
        self._abs_check_document_or_404("sale.order", order_id, access_token)
        return super().portal_order_page(
            order_id,
            report_type=report_type,
            access_token=access_token,
            message=message,
            download=download,
            downpayment=downpayment,
            **kw,
        )

    @route()
    def portal_my_invoice_detail(self, invoice_id, access_token=None, report_type=None, download=False, **kw):
        self._abs_check_document_or_404("account.move", invoice_id, access_token)
        return super().portal_my_invoice_detail(
            invoice_id, access_token=access_token, report_type=report_type, download=download, **kw
        )

    def _abs_check_document_or_404(self, model_name, document_id, access_token):
        try:
            self._document_check_access(model_name, document_id, access_token=access_token)
        except (AccessError, MissingError):
            raise NotFound() from None

from werkzeug.exceptions import NotFound

from odoo.exceptions import AccessError, MissingError
from odoo.http import request, route

from odoo.addons.account_payment.controllers.portal import PortalAccount
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
        _check_document_or_404(self, "sale.order", order_id, access_token)
        return super().portal_order_page(
            order_id,
            report_type=report_type,
            access_token=access_token,
            message=message,
            download=download,
            downpayment=downpayment,
            **kw,
        )


class AbsPortalAccount(PortalAccount):
    """The invoice page, on account_payment's portal controller (a dependency of sale).

    It must extend the last class that defines the route: Odoo combines sibling
    controllers in load order, and with abs_connector among the server-wide modules
    (docs/operations/scaling.md) this module is imported before account_payment, whose
    override would otherwise win and answer Odoo's redirect instead of a 404.
    """

    @route()
    def portal_my_invoice_detail(self, invoice_id, access_token=None, **kw):
        _check_document_or_404(self, "account.move", invoice_id, access_token)
        return super().portal_my_invoice_detail(invoice_id, access_token=access_token, **kw)


def _check_document_or_404(controller, model_name, document_id, access_token):
    try:
        controller._document_check_access(model_name, document_id, access_token=access_token)
    except (AccessError, MissingError):
        raise NotFound() from None

from odoo import api, models


class ProductProduct(models.Model):
    _inherit = "product.product"

    @api.model
    def _abs_sellable_domain(self, company):
        """The products a Service Account of ``company`` sells: active, sellable, and either
        shared by every company or owned by this one."""
        return [("sale_ok", "=", True), ("company_id", "in", [False, company.id])]

    @api.model
    def _abs_sellable(self, company, ids):
        return self.search([("id", "in", list(ids)), *self._abs_sellable_domain(company)])

    def _abs_price_for(self, company, customer=None):
        """``{product_id: (unit price, currency, pricelist)}`` as a quotation for ``customer``
        would price one unit: the customer's pricelist in ``company``, else the sales price."""
        products = self.with_company(company)
        pricelist = customer.with_company(company).property_product_pricelist if customer else None
        if pricelist:
            return {
                product.id: (pricelist._get_product_price(product, 1.0), pricelist.currency_id, pricelist)
                for product in products
            }
        return {product.id: (product.lst_price, product.currency_id, None) for product in products}

"""The product catalogue of a Service Account, priced for one of its customers.

Sellable products of the SA's company (or shared by every company). With ``contact_id`` --
a customer the caller sees, else 404 -- prices follow that customer's pricelist, as a quotation
for them would; without it, the product's sales price.
"""

from odoo import http
from odoo.http import request

from ..governance import errors
from .common import (
    api_route,
    dispatch,
    json_response,
    keyset_paged,
    keyset_params,
    parse_int,
    sa_context,
    search_domain,
    text,
)
from .contacts import _visible_contact

SEARCH_FIELDS = ["name", "default_code", "barcode"]


def serialize_product(product, price):
    unit_price, currency, pricelist = price
    return {
        "id": product.id,
        "name": product.name or "",
        "default_code": text(product.default_code),
        "barcode": text(product.barcode),
        "type": product.type or "",
        "category": text(product.categ_id.name),
        "uom": text(product.uom_id.name),
        "description_sale": text(product.description_sale),
        "list_price": float(product.lst_price),
        "price": float(unit_price),
        "currency": text(currency.name),
        "pricelist_id": pricelist.id if pricelist else None,
    }


def _serializer(products_model, company, customer):
    def serialize(products):
        prices = products.with_env(products_model.env)._abs_price_for(company, customer)
        return [serialize_product(product, prices[product.id]) for product in products]

    return serialize


class AbsProductController(http.Controller):
    @api_route("/api/products", auth="abs_jwt")
    def abs_products(self, **params):
        return dispatch({"GET": self._list}, params)

    @api_route("/api/products/<int:product_id>", auth="abs_jwt")
    def abs_product(self, product_id, **params):
        return dispatch({"GET": self._get}, product_id, params)

    def _catalogue(self, params):
        """The SA context, its company, the products model in it and the priced-for customer."""
        context = sa_context()
        context.require("read_products")
        contact_id = parse_int(params.get("contact_id"), "contact_id", required=False)
        customer = _visible_contact(context, contact_id) if contact_id else None
        company = context.sa._abs_company()
        products = request.env["product.product"].with_company(company)
        return company, products, customer

    def _list(self, params):
        company, products, customer = self._catalogue(params)
        page = keyset_params(params)
        domain = products._abs_sellable_domain(company) + search_domain(page["search"], SEARCH_FIELDS)
        return json_response(keyset_paged(products, domain, page, _serializer(products, company, customer)))

    def _get(self, product_id, params):
        company, products, customer = self._catalogue(params)
        product = products._abs_sellable(company, [product_id])
        if not product:
            raise errors.NotFound()
        return json_response(_serializer(products, company, customer)(product)[0])

from . import (
    auth,
    contact_changes,
    contacts,
    invoices,
    me,
    migration,
    openapi,
    orders,
    portal,
    products,
    service_accounts,
)

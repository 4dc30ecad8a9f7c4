from . import auth, contact_changes, contacts, me, migration, openapi, orders, portal, service_accounts

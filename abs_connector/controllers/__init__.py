from . import auth, contacts, me, migration, openapi, orders, portal, service_accounts

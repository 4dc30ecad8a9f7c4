"""What a back-office wizard was opened on: shared by the wizards that act on customers."""


def active_ids(context):
    """The records a wizard was opened on: a list selection, or the one record of a form."""
    if context.get("active_ids"):
        return context["active_ids"]
    return [context["active_id"]] if context.get("active_id") else []


def selected_customers(env):
    """Customers selected in an assignment list or a contact list, and their Service
    Account when they all share one (else an empty recordset)."""
    source = env.context.get("active_model")
    if source not in ("ov.sa_customer_assignment", "res.partner"):
        return env["res.partner"], env["ov.serviced_account"]
    records = env[source].browse(active_ids(env.context)).exists()
    if source == "res.partner":
        partners, accounts = records, records.x_sa_id
    else:
        partners, accounts = records.partner_id, records.account_id
    return partners, accounts if len(accounts) == 1 else accounts.browse()

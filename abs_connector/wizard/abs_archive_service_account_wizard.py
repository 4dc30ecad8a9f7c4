from odoo import _, api, fields, models


class AbsArchiveServiceAccountWizard(models.TransientModel):
    """Confirm archiving a Service Account together with its active sub-accounts.

    Archiving cuts every member of those accounts off; customers and their
    assignment history stay. The admin sees the accounts, members and customers
    concerned before confirming.
    """

    _name = "abs.archive.service.account.wizard"
    _description = "Archive a Service Account and its sub-accounts"
    _abs_seen_references = ("serviced_account_id",)

    serviced_account_id = fields.Many2one(
        "ov.serviced_account", string="Service Account", required=True, ondelete="cascade"
    )
    account_ids = fields.Many2many(
        "ov.serviced_account", string="Accounts To Archive", compute="_compute_account_ids"
    )
    member_count = fields.Integer(string="Members Cut Off", compute="_compute_account_ids")
    customer_count = fields.Integer(
        string="Customers Kept With Their History", compute="_compute_account_ids"
    )

    @api.depends("serviced_account_id")
    def _compute_account_ids(self):
        for wizard in self:
            sa = wizard.serviced_account_id
            accounts = sa | sa._abs_active_descendants() if sa else sa
            wizard.account_ids = accounts
            wizard.member_count = sum(accounts.mapped("member_count"))
            wizard.customer_count = sum(accounts.mapped("customer_count"))

    def action_archive(self):
        self.ensure_one()
        self.env["ov.membership"]._abs_check_system_caller()
        accounts = self.serviced_account_id | self.serviced_account_id._abs_active_descendants()
        accounts.write({"state": "inactive"})
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "title": _("Service Accounts archived"),
                "message": _("%(count)s account(s) archived.", count=len(accounts)),
                "type": "success",
                "next": {"type": "ir.actions.act_window_close"},
            },
        }

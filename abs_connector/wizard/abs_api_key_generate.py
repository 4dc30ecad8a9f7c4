from odoo import _, fields, models


class AbsApiKeyGenerate(models.TransientModel):
    """Back-office form to create an API key; the key is shown once, then only its hint."""

    _name = "abs.api_key.generate"
    _description = "Generate an API key"

    name = fields.Char(required=True, help="Who or what will use this key (e.g. 'erp-sync').")
    expires_at = fields.Datetime(help="Leave empty for a key that does not expire.")

    def action_generate(self):
        self.ensure_one()
        self.env["abs.api_key"].check_access("create")
        _key, clear = self.env["abs.api_key"]._abs_key_admin()._generate(self.name, self.expires_at)
        return {
            "type": "ir.actions.act_window",
            "res_model": "abs.api_key.show",
            "name": _("API key ready"),
            "views": [(False, "form")],
            "target": "new",
            # The key travels in this action only: it is never stored in clear.
            "context": {"default_key": clear},
        }


class AbsApiKeyShow(models.AbstractModel):
    """Displays a freshly generated key once; no table, nothing stored."""

    _name = "abs.api_key.show"
    _description = "Show a new API key"

    # 'id' lets the form's onchange return the default value of 'key'
    id = fields.Id()
    key = fields.Char(readonly=True)

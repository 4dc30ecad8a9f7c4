/** @odoo-module **/
// A governance refusal (GovernanceConflict, a UserError subclass) is shown like any
// UserError: its message in a warning dialog, no traceback. Odoo picks the dialog by
// the exception's full class name, so a subclass must be registered by name.
import { registry } from "@web/core/registry";
import { WarningDialog } from "@web/core/errors/error_dialogs";

registry
    .category("error_dialogs")
    .add("odoo.addons.abs_connector.exceptions.GovernanceConflict", WarningDialog);

from odoo import _, api, fields, models
from odoo.exceptions import AccessError

from .. import backfill


class AbsBackfillWizard(models.TransientModel):
    """Dry-run or run the V3 assignment backfill from the back office.

    Same code as the 18.0.1.1.0 upgrade script and the
    ``/api/migration/backfill-customer-assignments`` endpoint
    (``abs_connector.backfill``): the counts shown here are the ones the run
    will produce. Useful after the upgrade when V2-only writers (imports,
    older integrations) keep stamping customers without an assignment.
    """

    _name = "abs.backfill.wizard"
    _description = "Backfill customer assignments from V2 stamps"

    company_id = fields.Many2one(
        "res.company",
        string="Company",
        help="Only stamps pointing at Service Accounts of this company. Empty: all companies.",
    )
    state = fields.Selection(
        [("new", "New"), ("planned", "Dry run done"), ("done", "Backfill done")],
        default="new",
        required=True,
        readonly=True,
    )
    would_create = fields.Integer(readonly=True)
    created = fields.Integer(readonly=True)
    already_present = fields.Integer(string="Already assigned", readonly=True)
    skipped_missing_sa = fields.Integer(string="Skipped: SA missing", readonly=True)
    skipped_inactive_sa = fields.Integer(string="Skipped: SA inactive", readonly=True)
    skipped_missing_actor = fields.Integer(string="Skipped: actor missing", readonly=True)
    sample = fields.Text(readonly=True, help="The first customers concerned, per outcome.")
    companies_deferred = fields.Boolean(
        string="Companies Given Later",
        readonly=True,
        help="More customers than one batch await their account's company: the scheduled action "
        "gives it to them a batch per transaction.",
    )

    @api.onchange("company_id")
    def _onchange_company_id(self):
        # A different scope makes the previous counts misleading.
        self.state = "new"

    def _check_manager(self):
        # The backfill writes with SQL, outside record rules: managers only.
        if not self.env.user.has_group("abs_connector.group_abs_governance_manager"):
            raise AccessError(_("Only Governance Managers may backfill customer assignments."))

    def action_dry_run(self):
        self.ensure_one()
        self._check_manager()
        report = backfill.plan(self.env, company_id=self.company_id.id or None)
        self.write(self._report_values(report, "planned"))
        return self._reopen()

    def action_run(self):
        self.ensure_one()
        self._check_manager()
        report = backfill.run(self.env, company_id=self.company_id.id or None)
        self.write(self._report_values(report, "done"))
        return self._reopen()

    def _report_values(self, report, state):
        skipped = report["skipped"]
        return {
            "state": state,
            "would_create": report["would_create"],
            "created": report["created"],
            "already_present": report["already_present"],
            "skipped_missing_sa": skipped[backfill.MISSING_SA],
            "skipped_inactive_sa": skipped[backfill.INACTIVE_SA],
            "skipped_missing_actor": skipped[backfill.MISSING_ACTOR],
            "companies_deferred": report["companies_deferred"],
            "sample": self._sample_text(report),
        }

    def _sample_text(self, report):
        # env._ rather than _: the comprehensions hide the caller's frame from _.
        _ = self.env._
        lines = [
            _(
                "create: %(partner)s (id %(pid)s) in SA %(sa)s, actor %(actor)s",
                partner=row["partner_name"],
                pid=row["partner_id"],
                sa=row["account_name"],
                actor=row["actor_id"] or _("none (unassigned)"),
            )
            for row in report["sample"]
        ]
        lines += [
            _(
                "skip: %(partner)s (id %(pid)s): %(why)s (SA %(sa)s, actor %(actor)s)",
                partner=row["partner_name"],
                pid=row["partner_id"],
                why=row["message"],
                sa=row["account_id"],
                actor=row["actor_id"] or _("none"),
            )
            for row in report["skipped_sample"]
        ]
        return "\n".join(lines)

    def _reopen(self):
        return {
            "type": "ir.actions.act_window",
            "name": _("Backfill Customer Assignments"),
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }

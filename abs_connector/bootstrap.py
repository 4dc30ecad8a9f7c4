"""Bootstrap of the Service Account tree: the global root and one seed per company.

Shared by the install hook (``hooks.post_init_hook``), the upgrade scripts in
``migrations/abs_connector/18.0.1.0.2`` and ``18.0.1.1.1``, and the
``res.company`` create override, so a fresh install and an upgraded database
end in exactly the same state. Every function is idempotent: it only creates
what is missing and only moves what is misplaced.
"""

import logging

from .elevation import elevate

_logger = logging.getLogger(__name__)

GLOBAL_ROOT_NAME = "OV Global Root"


def _sa_model(env):
    # Inactive SAs must count as existing: bootstrapping never duplicates a
    # root or a seed an administrator deactivated.
    return elevate(env["ov.serviced_account"], "the tree holds across companies").with_context(
        active_test=False
    )


def _find_global_root(env):
    return _sa_model(env).search([("is_global_root", "=", True)], order="id", limit=1)


def _main_company(env):
    company = env.ref("base.main_company", raise_if_not_found=False)
    return company or elevate(env["res.company"], "bootstrap sees every company").search(
        [], order="id", limit=1
    )


def ensure_global_root(env):
    """Return the global root SA, creating it if missing, and put every seed under it.

    The root belongs to the main company and carries its own organisation
    partner (a company's partner already anchors that company's seed).
    """
    root = _find_global_root(env)
    if not root:
        company = _main_company(env)
        partner = elevate(env["res.partner"], "the root's partner belongs to no user").create(
            {
                "name": GLOBAL_ROOT_NAME,
                "is_company": True,
                "company_id": False,
            }
        )
        root = _sa_model(env).create(
            {
                "name": GLOBAL_ROOT_NAME,
                "partner_id": partner.id,
                "account_class": "OVAC",
                "is_global_root": True,
                "is_seed": False,
                "parent_id": False,
                "source_company_id": False,
                "company_id": company.id,
                "state": "active",
            }
        )
        _logger.info("abs_connector bootstrap: created the global root SA (id=%s)", root.id)
    reparent_seeds(env, root)
    return root


def reparent_seeds(env, root):
    """Move every seed SA that is not yet directly under ``root`` beneath it.

    One ``write`` on the whole recordset: the ORM keeps ``parent_path`` of the
    seeds and of all their descendants consistent.
    """
    misplaced = _sa_model(env).search([("is_seed", "=", True), ("parent_id", "!=", root.id)])
    if misplaced:
        misplaced.write({"parent_id": root.id})
        _logger.info(
            "abs_connector bootstrap: re-parented %s seed SA(s) under the global root", len(misplaced)
        )
    return misplaced


def ensure_company_seeds(env, companies=None):
    """Create the missing seed SA of each company (all companies by default).

    Works before the global root exists (upgrade step 18.0.1.0.2 runs before
    18.0.1.1.1 creates it): new seeds then start without a parent and are
    re-parented when the root appears. Once a root exists, seeds are created
    under it and any orphan seed is moved there. Parentless branches (V2 had no
    seeds) are then attached to their company's seed. Returns the created seeds.
    """
    if companies is None:
        every_company = elevate(env["res.company"], "every company gets its seed")
        companies = every_company.with_context(active_test=False).search([])
    SA = _sa_model(env)
    seeded = SA.search([("is_seed", "=", True), ("source_company_id", "in", companies.ids)])
    missing = companies - seeded.source_company_id
    root = _find_global_root(env)
    created = SA.browse()
    if missing:
        created = SA.create([_seed_vals(company, root) for company in missing])
        _logger.info(
            "abs_connector bootstrap: created %s company seed SA(s): %s",
            len(created),
            ", ".join(missing.mapped("name")),
        )
    if root:
        reparent_seeds(env, root)
    adopt_orphan_accounts(env)
    return created


def adopt_orphan_accounts(env):
    """Put every parentless branch SA under the seed of its company.

    Before 18.0.1.0.2 there were no seeds, so a V2 database can hold top-level
    SAs that are neither the root nor a seed; V3 requires every branch to
    have a parent. One ``write`` per company keeps ``parent_path`` right for
    the whole moved subtree. Returns the adopted SAs.
    """
    SA = _sa_model(env)
    orphans = SA.search(
        [
            ("parent_id", "=", False),
            ("is_global_root", "=", False),
            ("is_seed", "=", False),
            ("company_id", "!=", False),
        ]
    )
    if not orphans:
        return orphans
    seeds = SA.search([("is_seed", "=", True), ("source_company_id", "in", orphans.company_id.ids)])
    seed_by_company = {seed.source_company_id.id: seed for seed in seeds}
    adopted = SA.browse()
    for company, accounts in orphans.grouped("company_id").items():
        seed = seed_by_company.get(company.id)
        if seed:
            accounts.write({"parent_id": seed.id})
            adopted |= accounts
    if adopted:
        _logger.info(
            "abs_connector bootstrap: attached %s parentless SA(s) to their company seed", len(adopted)
        )
    return adopted


def _seed_vals(company, root):
    return {
        "name": company.name,
        "partner_id": company.partner_id.id,
        "account_class": "OVAC",
        "is_global_root": False,
        "is_seed": True,
        "parent_id": root.id or False,
        "source_company_id": company.id,
        "company_id": company.id,
        "state": "active",
    }

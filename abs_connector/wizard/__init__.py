from . import (
    abs_api_key_generate,
    abs_archive_service_account_wizard,
    abs_backfill_wizard,
    abs_enroll_member_wizard,
    abs_explain_access_wizard,
    abs_grant_portal_wizard,
    abs_grant_portal_wizard_line,
    abs_reassign_customers_wizard,
    abs_revoke_membership_wizard,
    base_partner_merge_automatic_wizard,
    payment_link_wizard,
)

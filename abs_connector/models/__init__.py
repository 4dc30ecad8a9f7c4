# First: the models below inherit it.
from . import abs_seat_visible_mixin

# isort: split
from . import (
    abs_api_key,
    abs_employee,
    abs_event_outbox,
    abs_federated_identity,
    abs_governed_mixin,
    abs_idempotency_key,
    abs_login_attempt,
    abs_mqtt_relay,
    abs_refresh_token,
    abs_serialization_key,
    account_analytic_line,
    account_bank_statement_line,
    account_invoice_report,
    account_move,
    account_move_line,
    account_payment,
    base,
    calendar_attendee,
    crm_activity_report,
    crm_lead,
    discuss_channel,
    discuss_channel_member,
    ir_http,
    ir_rule,
    mail_followers,
    mail_notification,
    mail_thread,
    ov_conflict_review,
    ov_membership,
    ov_sa_customer_assignment,
    ov_serviced_account,
    payment_token,
    payment_transaction,
    portal_wizard_user,
    product_product,
    res_company,
    res_config_settings,
    res_groups,
    res_partner,
    res_partner_bank,
    res_users,
    sale_order,
    sale_order_line,
    sale_report,
)

# isort: split
# Last: its init() puts triggers on the tables of the models above.
from . import abs_contact_change

"""Demo data for ``./dev run``: docs/customer-lifecycle.md's walkthrough, already walked.

Created by the install hook when the database loads demo data, through the
same lifecycle methods the API and the wizards use, so the demo customers
carry V2 stamps, V3 assignments and queued events like real ones. Demo
passwords are public by design: they only exist in demo databases.
"""

DEMO_SA_NAME = "Togo Field Operations"
MANAGER_PASSWORD = "demo-manager-password"  # noqa: S105 - demo databases only
AGENT_PASSWORD = "demo-agent-password"  # noqa: S105 - demo databases only

PEOPLE = {
    "alice": ("Alice Mensah", "alice@example.com"),
    "jean": ("Jean Kofi", "jean@example.com"),
    "kwame": ("Kwame Asante", "kwame@example.com"),
}

# (name, email, phone, city, assigned agent key or None for unassigned)
CUSTOMERS = [
    ("Marie Dupont", "marie@client.com", "+228 90 000 001", "Lomé", "jean"),
    ("Koffi Adjo", "koffi.adjo@client.com", "+228 90 000 011", "Kara", "jean"),
    ("Ama Sena", "ama.sena@client.com", "+228 90 000 021", "Sokodé", "kwame"),
    ("Yao Mawuli", "yao.mawuli@client.com", "+228 90 000 031", "Kpalimé", "kwame"),
    ("Efua Dzifa", "efua.dzifa@client.com", "+228 90 000 041", "Atakpamé", None),
]


def create_demo_data(env):
    """Create the demo branch SA, its manager, two agents and their customers (idempotent)."""
    SA = env["ov.serviced_account"]
    if SA.search_count([("name", "=", DEMO_SA_NAME)]):
        return
    people = {key: _person(env, name, email) for key, (name, email) in PEOPLE.items()}
    seed = SA._get_company_seed(env.ref("base.main_company"))
    sa = SA._abs_create_branch({"name": DEMO_SA_NAME, "parent_id": seed.id}, people["alice"])
    for key in ("jean", "kwame"):
        env["ov.membership"]._abs_enroll(sa, people[key], "agent", actor_partner=people["alice"])
    for partner, password in (
        (people["alice"], MANAGER_PASSWORD),
        (people["jean"], AGENT_PASSWORD),
        (people["kwame"], AGENT_PASSWORD),
    ):
        _employee(env, partner)._abs_set_password(password)
    for name, email, phone, city, agent in CUSTOMERS:
        _customer(env, sa, people, name, email, phone, city, agent)


def _person(env, name, email):
    return env["res.partner"].create({"name": name, "email": email, "is_company": False})


def _employee(env, partner):
    return env["abs.employee"].search([("partner_id", "=", partner.id)], limit=1)


def _customer(env, sa, people, name, email, phone, city, agent):
    creator = people[agent] if agent else people["alice"]
    customer = env["res.partner"]._abs_create_governed_customer(
        sa, {"name": name, "email": email, "phone": phone, "city": city}, creator
    )
    if agent is None:
        env["ov.sa_customer_assignment"]._abs_reassign(customer, sa, None, people["alice"])
    return customer

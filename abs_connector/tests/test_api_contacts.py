from odoo.tests import tagged

from ..controllers.common import search_domain
from ..controllers.contacts import SEARCH_FIELDS
from .api_common import AbsApiCase


@tagged("post_install", "-at_install", "abs_api")
class TestApiContacts(AbsApiCase):
    """/api/contacts: docs/customer-lifecycle.md, Stages 1-4 and 6 over HTTP."""

    # ---- create (Stage 1) ----

    def test_agent_creates_a_customer_stamped_and_assigned_to_them(self):
        status, body = self.api(
            "POST",
            "/api/contacts",
            {
                "name": "Marie Dupont",
                "email": "marie@client.com",
                "phone": "+228 90 000 001",
            },
            person=self.jean,
            sa=self.sa,
        )

        self.assertEqual(status, 201, body)
        marie = self.env["res.partner"].browse(body["id"])
        self.assertEqual(
            (marie.name, marie.email, marie.phone), ("Marie Dupont", "marie@client.com", "+228 90 000 001")
        )
        self.assertEqual((marie.x_sa_id, marie.x_actor_id), (self.sa, self.jean))
        assignment = self.active_assignment(marie, self.sa)
        self.assertEqual(
            (assignment.actor_id, assignment.state, assignment.assigned_by_id),
            (self.jean, "active", self.jean),
        )
        self.assertEqual(
            (body["sa_id"], body["actor_id"], body["assignment_id"]),
            (self.sa.id, self.jean.id, assignment.id),
        )
        self.assertTrue(self.events("customer.created", marie))

    def test_customer_with_an_email_already_in_the_sa_is_a_409(self):
        self.customer(actor=self.kwame, email="dup@client.com")
        before = self.snapshot()
        self.assertError(
            self.api(
                "POST",
                "/api/contacts",
                {"name": "Dup", "email": "DUP@client.com"},
                person=self.jean,
                sa=self.sa,
            ),
            409,
            "conflict",
        )
        self.assertEqual(self.snapshot(), before)

    def test_create_refuses_governance_and_unknown_fields(self):
        for field, value in (
            ("x_sa_id", self.seed.id),
            ("x_actor_id", self.jean.id),
            ("company_id", 1),
            ("active", False),
            ("user_id", 2),
            ("assignment_ids", []),
        ):
            before = self.snapshot()
            error = self.assertError(
                self.api("POST", "/api/contacts", {"name": "M", field: value}, person=self.jean, sa=self.sa),
                422,
                "validation_error",
            )
            self.assertEqual(error["details"]["unknown_fields"], [field])
            self.assertEqual(self.snapshot(), before)

    def test_create_with_a_country_code(self):
        status, body = self.api(
            "POST", "/api/contacts", {"name": "Kossi", "country_code": "tg"}, person=self.jean, sa=self.sa
        )
        self.assertEqual(status, 201, body)
        self.assertEqual(body["country_code"], "TG")
        self.assertError(
            self.api(
                "POST", "/api/contacts", {"name": "Kossi", "country_code": "QQ"}, person=self.jean, sa=self.sa
            ),
            422,
        )

    def test_viewer_cannot_create(self):
        viewer = self.make_member(self.sa, "viewer").person_partner_id
        self.assertError(self.api("POST", "/api/contacts", {"name": "V"}, person=viewer, sa=self.sa), 403)

    # ---- visibility (Stage 2) ----

    def test_agent_lists_own_and_unassigned_customers_only(self):
        own = self.customer(actor=self.jean)
        unassigned = self.customer()
        kwames = self.customer(actor=self.kwame)

        status, body = self.api("GET", "/api/contacts", person=self.jean, sa=self.sa)

        self.assertEqual(status, 200, body)
        ids = {item["id"] for item in body["items"]}
        self.assertEqual(ids, {own.id, unassigned.id})
        self.assertNotIn(kwames.id, ids)
        self.assertEqual(body["total"], 2)

    def test_staff_lists_every_customer_of_the_sa(self):
        customers = self.customer(actor=self.jean) | self.customer(actor=self.kwame) | self.customer()
        other_sa = self.customer(sa=self.tree.sub_branch)
        _status, body = self.api("GET", "/api/contacts", person=self.alice, sa=self.sa)
        ids = {item["id"] for item in body["items"]}
        self.assertEqual(ids, set(customers.ids))
        self.assertNotIn(other_sa.id, ids)

    def test_assigned_only_override_hides_unassigned_customers(self):
        self.tree.jean_membership.scope_policy = "assigned_only"
        own = self.customer(actor=self.jean)
        self.customer()
        _status, body = self.api("GET", "/api/contacts", person=self.jean, sa=self.sa)
        self.assertEqual([item["id"] for item in body["items"]], [own.id])

    def test_list_paginates_with_limit_offset_and_total(self):
        created = [self.customer(actor=self.jean, name=f"Page {n:02d}") for n in range(5)]
        _status, body = self.api(
            "GET",
            "/api/contacts",
            person=self.jean,
            sa=self.sa,
            params={"limit": 2, "offset": 2, "order": "name asc"},
        )
        self.assertEqual((body["total"], body["limit"], body["offset"]), (5, 2, 2))
        self.assertEqual([item["id"] for item in body["items"]], [created[2].id, created[3].id])
        _status, body = self.api(
            "GET", "/api/contacts", person=self.jean, sa=self.sa, params={"order": "name desc"}
        )
        self.assertEqual(body["items"][0]["id"], created[-1].id)
        self.assertEqual(body["limit"], 50)

    def test_list_limit_above_200_and_unknown_order_are_422(self):
        self.assertError(
            self.api("GET", "/api/contacts", person=self.jean, sa=self.sa, params={"limit": 201}), 422
        )
        self.assertError(
            self.api("GET", "/api/contacts", person=self.jean, sa=self.sa, params={"limit": 0}), 422
        )
        self.assertError(
            self.api("GET", "/api/contacts", person=self.jean, sa=self.sa, params={"offset": -1}), 422
        )
        self.assertError(
            self.api("GET", "/api/contacts", person=self.jean, sa=self.sa, params={"order": "password asc"}),
            422,
        )
        self.assertError(
            self.api(
                "GET",
                "/api/contacts",
                person=self.jean,
                sa=self.sa,
                params={"order": "name; drop table res_partner"},
            ),
            422,
        )
        self.assertEqual(
            self.api("GET", "/api/contacts", person=self.jean, sa=self.sa, params={"limit": 200})[0], 200
        )

    def test_list_searches_name_email_phone_and_city(self):
        by_name = self.customer(actor=self.jean, name="Akua Searchable")
        by_email = self.customer(actor=self.jean, email="findme@client.com")
        by_phone = self.customer(actor=self.jean, phone="+228 55 123 456")
        by_city = self.customer(actor=self.jean, city="Sokodé-Findable")
        self.customer(actor=self.jean, name="Nobody")
        for term, expected in (
            ("searchable", by_name),
            ("FINDME", by_email),
            ("55 123", by_phone),
            ("sokodé-find", by_city),
        ):
            _status, body = self.api(
                "GET", "/api/contacts", person=self.jean, sa=self.sa, params={"search": term}
            )
            self.assertEqual([item["id"] for item in body["items"]], [expected.id], term)
            self.assertEqual(body["total"], 1)

    def test_a_whole_address_found_by_its_mailbox_answers_what_odoos_ilike_answers(self):
        jane = self.customer(actor=self.jean, name="Jane", email="Jane.Doe@Client.com")
        longer = self.customer(actor=self.jean, name="Mary-Jane", email="mary-jane.doe@client.com.tg")
        noted = self.customer(actor=self.jean, name="Noted", comment="jane.doe@client.com", city="jane.doe@")
        in_city = self.customer(actor=self.jean, name="Odd", city="at jane.doe@client.com's")
        self.customer(actor=self.jean, name="Same mailbox", email="jane.doe@other.com")
        self.customer(actor=self.kwame, name="Kwame's", email="jane.doe@client.com.gh")  # not Jean's
        archived = self.customer(actor=self.jean, name="Gone", email="old.jane.doe@client.com")
        archived.action_archive()
        partners = self.env["res.partner"].with_context(active_test=False)
        for term, expected in (
            ("jane.doe@client.com", [jane, longer, in_city]),
            ("JANE.DOE@CLIENT", [jane, longer, in_city]),
            ("e.doe@client.com.tg", [longer]),
            ("jane.doe@client.com's", [in_city]),
            ("jan_.doe@client%com", [jane, longer, in_city]),  # wildcards to Odoo, as before
            ("jane.doe@nowhere.com", []),
        ):
            with self.subTest(term=term):
                domain = search_domain(term, SEARCH_FIELDS, self.env["res.partner"])
                self.assertEqual(domain[0][:2], ("id", "in"), "found by its mailbox")
                self.assertEqual(
                    partners.search(domain).ids, partners.search(search_domain(term, SEARCH_FIELDS)).ids
                )
                _status, body = self.api(
                    "GET", "/api/contacts", person=self.jean, sa=self.sa, params={"search": term}
                )
                self.assertEqual(sorted(item["id"] for item in body["items"]), sorted(c.id for c in expected))
                self.assertEqual(body["total"], len(expected))
        # its city holds the mailbox: a candidate, turned away by the whole term
        self.assertIn(noted, partners.search(search_domain("jane.doe@", SEARCH_FIELDS)))

    def test_a_term_that_is_no_whole_address_is_searched_as_it_is(self):
        for term in ("jane", "jane.doe@", "@client.com", "ja@client.com", "client.com"):
            with self.subTest(term=term):
                self.assertEqual(
                    search_domain(term, SEARCH_FIELDS, self.env["res.partner"]),
                    search_domain(term, SEARCH_FIELDS),
                )

    def test_get_a_visible_customer(self):
        marie = self.customer(actor=self.jean, name="Marie Dupont")
        status, body = self.api("GET", f"/api/contacts/{marie.id}", person=self.jean, sa=self.sa)
        self.assertEqual(status, 200, body)
        self.assertEqual(
            (body["id"], body["name"], body["actor_id"]), (marie.id, "Marie Dupont", self.jean.id)
        )

    def test_contact_page_answers_exactly_what_the_list_shows_for_it(self):
        marie = self.customer(
            actor=self.jean,
            name="Marie Dupont",
            phone="+228 90 000 001",
            mobile="+228 90 000 002",
            street="1 Rue du Commerce",
            street2="BP 12",
            city="Lome",
            zip="01",
            country_id=self.env.ref("base.tg").id,
            function="Buyer",
            comment="<p>Prefers mornings</p>",
        )
        unassigned = self.customer(name="Nobody's Customer")
        kwames = self.customer(actor=self.kwame, name="Kwame's Customer")

        for person, contact in ((self.jean, marie), (self.jean, unassigned), (self.alice, kwames)):
            with self.subTest(person=person.name, contact=contact.name):
                status, page = self.api("GET", f"/api/contacts/{contact.id}", person=person, sa=self.sa)
                self.assertEqual(status, 200, page)
                _status, listed = self.api(
                    "GET", "/api/contacts", person=person, sa=self.sa, params={"search": contact.name}
                )
                self.assertEqual([item["id"] for item in listed["items"]], [contact.id])
                self.assertEqual(list(page.items()), list(listed["items"][0].items()))
        _status, page = self.api("GET", f"/api/contacts/{marie.id}", person=self.jean, sa=self.sa)
        self.assertEqual(
            (page["country_code"], page["actor_id"], page["assignment_id"]),
            ("TG", self.jean.id, self.active_assignment(marie, self.sa).id),
        )
        _status, page = self.api("GET", f"/api/contacts/{unassigned.id}", person=self.jean, sa=self.sa)
        self.assertEqual(
            (page["country_code"], page["actor_id"], page["assignment_id"]),
            (None, None, self.active_assignment(unassigned, self.sa).id),
        )

    def test_archived_customer_answers_exactly_like_a_missing_one(self):
        marie = self.customer(actor=self.jean)
        self.assertEqual(
            self.api("DELETE", f"/api/contacts/{marie.id}", person=self.alice, sa=self.sa)[0], 200
        )
        archived = self.api("GET", f"/api/contacts/{marie.id}", person=self.alice, sa=self.sa)
        missing = self.api("GET", "/api/contacts/999999", person=self.alice, sa=self.sa)
        self.assertError(archived, 404, "not_found")
        self.assertEqual(archived, missing)

    def test_another_agents_customer_answers_exactly_like_a_missing_one(self):
        kwames = self.customer(actor=self.kwame)
        hidden = self.api("GET", f"/api/contacts/{kwames.id}", person=self.jean, sa=self.sa)
        missing = self.api("GET", "/api/contacts/999999", person=self.jean, sa=self.sa)
        self.assertError(hidden, 404, "not_found")
        self.assertEqual(hidden, missing)

    def test_an_update_with_an_unknown_country_answers_a_hidden_contact_like_a_missing_one(self):
        elsewhere = self.customer(sa=self.tree.sub_branch)
        before = self.snapshot()
        body = {"country_code": "ZZ"}
        hidden = self.api("PUT", f"/api/contacts/{elsewhere.id}", body, person=self.alice, sa=self.sa)
        missing = self.api("PUT", "/api/contacts/999999999", body, person=self.alice, sa=self.sa)
        self.assertError(hidden, 404, "not_found")
        self.assertEqual(hidden, missing)
        self.assertEqual(self.snapshot(), before)
        mine = self.customer(actor=self.jean)
        self.assertError(
            self.api("PUT", f"/api/contacts/{mine.id}", body, person=self.alice, sa=self.sa), 422
        )

    def test_customer_of_another_sa_is_404_even_for_staff(self):
        elsewhere = self.customer(sa=self.tree.sub_branch)
        self.assertError(self.api("GET", f"/api/contacts/{elsewhere.id}", person=self.alice, sa=self.sa), 404)

    # ---- update (Stage 3) ----

    def test_agent_updates_their_customer(self):
        marie = self.customer(actor=self.jean, phone="+228 90 000 001")
        status, body = self.api(
            "PUT",
            f"/api/contacts/{marie.id}",
            {"phone": "+228 90 000 002", "city": "Lomé"},
            person=self.jean,
            sa=self.sa,
        )
        self.assertEqual(status, 200, body)
        self.assertEqual((marie.phone, marie.city), ("+228 90 000 002", "Lomé"))
        self.assertEqual((body["phone"], body["city"]), ("+228 90 000 002", "Lomé"))

    def test_customer_created_without_email_is_invited_when_first_given_one(self):
        self.company.abs_portal_on_create = True
        status, body = self.api(
            "POST", "/api/contacts", {"name": "No Mail Yet"}, person=self.jean, sa=self.sa
        )
        self.assertEqual(status, 201, body)
        customer = self.env["res.partner"].browse(body["id"])
        self.assertFalse(customer.with_context(active_test=False).user_ids)

        status, body = self.api(
            "PUT",
            f"/api/contacts/{customer.id}",
            {"email": "first.mail@client.example.com"},
            person=self.jean,
            sa=self.sa,
        )

        self.assertEqual(status, 200, body)
        customer.invalidate_recordset()
        self.assertTrue(customer.user_ids._is_portal())
        self.assertEqual(customer.abs_portal_status, "granted")

    def test_first_email_invites_nobody_when_the_company_turned_invitations_off(self):
        self.company.abs_portal_on_create = False
        customer = self.customer(actor=self.jean, name="Quiet", email=False)
        status, body = self.api(
            "PUT",
            f"/api/contacts/{customer.id}",
            {"email": "quiet@client.example.com"},
            person=self.jean,
            sa=self.sa,
        )
        self.assertEqual(status, 200, body)
        self.assertFalse(customer.with_context(active_test=False).user_ids)

    def test_first_email_set_in_the_back_office_invites_the_customer(self):
        self.company.abs_portal_on_create = True
        customer = self.customer(actor=self.jean, name="Back Office Mail", email=False)
        self.assertFalse(customer.with_context(active_test=False).user_ids)
        customer.write({"email": "backoffice.mail@client.example.com"})
        self.assertTrue(customer.user_ids._is_portal())

    def test_update_of_an_invisible_customer_is_404_and_changes_nothing(self):
        kwames = self.customer(actor=self.kwame, city="Kara")
        self.assertError(
            self.api("PUT", f"/api/contacts/{kwames.id}", {"city": "Lomé"}, person=self.jean, sa=self.sa), 404
        )
        kwames.invalidate_recordset()
        self.assertEqual(kwames.city, "Kara")

    def test_update_refuses_mass_assignment_and_changes_nothing(self):
        marie = self.customer(actor=self.jean, city="Kara")
        for body in (
            {"city": "Lomé", "x_sa_id": self.seed.id},
            {"active": False},
            {"company_id": 2},
            {"user_id": 2},
            {"x_actor_id": self.kwame.id},
            {},
        ):
            self.assertError(
                self.api("PUT", f"/api/contacts/{marie.id}", body, person=self.jean, sa=self.sa), 422
            )
        marie.invalidate_recordset()
        self.assertEqual(
            (marie.city, marie.x_sa_id, marie.x_actor_id, marie.active), ("Kara", self.sa, self.jean, True)
        )

    # ---- archive (Stage 6) ----

    def test_staff_archives_a_customer_and_keeps_its_assignment(self):
        marie = self.customer(actor=self.jean, portal_access=True, email="marie.archive@client.com")
        assignment = self.active_assignment(marie, self.sa)
        portal_users = marie.with_context(active_test=False).user_ids

        status, body = self.api("DELETE", f"/api/contacts/{marie.id}", person=self.alice, sa=self.sa)

        self.assertEqual(status, 200, body)
        self.assertFalse(body["active"])
        marie.invalidate_recordset()
        self.assertFalse(marie.active)
        self.assertFalse(any(portal_users.mapped("active")))
        self.assertEqual(assignment.state, "active")
        _status, listed = self.api("GET", "/api/contacts", person=self.alice, sa=self.sa)
        self.assertNotIn(marie.id, [item["id"] for item in listed["items"]])

    def test_agent_cannot_archive(self):
        marie = self.customer(actor=self.jean)
        self.assertError(self.api("DELETE", f"/api/contacts/{marie.id}", person=self.jean, sa=self.sa), 403)
        self.assertTrue(marie.active)

    # ---- assign (Stage 4) ----

    def assign(self, customer, employee_id, **auth):
        """POST /api/contacts/<id>/assign in this SA, as ``person=`` or with ``api_key=``."""
        return self.api(
            "POST", f"/api/contacts/{customer.id}/assign", {"employee_id": employee_id}, sa=self.sa, **auth
        )

    def test_staff_reassigns_a_customer_expiring_the_old_assignment(self):
        marie = self.customer(actor=self.jean)
        old = self.active_assignment(marie, self.sa)
        kwame_employee = self.employee_of(self.kwame)

        status, body = self.assign(marie, kwame_employee.id, person=self.alice)

        self.assertEqual(status, 200, body)
        new = self.active_assignment(marie, self.sa)
        self.assertEqual(
            body,
            {
                "contact_id": marie.id,
                "employee_id": kwame_employee.id,
                "actor_id": self.kwame.id,
                "assignment_id": new.id,
                "previous_assignment_id": old.id,
            },
        )
        old.invalidate_recordset()
        self.assertEqual((old.state, bool(old.date_to)), ("expired", True))
        self.assertEqual((new.actor_id, new.assigned_by_id), (self.kwame, self.alice))
        marie.invalidate_recordset()
        self.assertEqual((marie.x_assigned_employee_id, marie.x_actor_id), (kwame_employee, self.kwame))

    def test_assigning_to_an_employee_without_odoo_user_clears_the_previous_salesperson(self):
        marie = self.customer(actor=self.jean)
        jean_user = self.env["res.users"].create({"name": "Jean U", "login": "jean.user@example.com"})
        self.employee_of(self.jean).user_id = jean_user
        self.assertEqual(self.assign(marie, self.employee_of(self.kwame).id, person=self.alice)[0], 200)
        self.assertEqual(self.assign(marie, self.employee_of(self.jean).id, person=self.alice)[0], 200)
        marie.invalidate_recordset()
        self.assertEqual(marie.user_id, jean_user)

        status, body = self.assign(marie, self.employee_of(self.kwame).id, person=self.alice)

        self.assertEqual(status, 200, body)
        marie.invalidate_recordset()
        self.assertFalse(marie.user_id, "Kwame has no Odoo user: Jean must not stay the salesperson")

    def test_system_reassigns_with_an_api_key(self):
        marie = self.customer(actor=self.jean)
        status, body = self.assign(marie, self.employee_of(self.kwame).id, api_key=self.api_key)
        self.assertEqual(status, 200, body)
        self.assertEqual(self.active_assignment(marie, self.sa).assigned_by_id.id, False)

    def test_assigning_to_the_current_holder_is_a_409(self):
        marie = self.customer(actor=self.jean)
        self.assertError(self.assign(marie, self.employee_of(self.jean).id, person=self.alice), 409)

    def test_agent_cannot_reassign(self):
        marie = self.customer(actor=self.jean)
        before = self.snapshot()
        self.assertError(self.assign(marie, self.employee_of(self.kwame).id, person=self.jean), 403)
        self.assertEqual(self.snapshot(), before)

    def test_assign_to_unknown_employee_or_invisible_customer_is_404(self):
        marie = self.customer(actor=self.jean)
        self.assertError(self.assign(marie, 999999, person=self.alice), 404)
        elsewhere = self.customer(sa=self.tree.sub_branch)
        self.assertError(self.assign(elsewhere, self.employee_of(self.kwame).id, person=self.alice), 404)

    # ---- access explainer ----

    def explain(self, customer, caller, **params):
        """GET /api/contacts/<id>/access in this SA as ``caller`` (``person_id=`` goes in the query)."""
        return self.api(
            "GET", f"/api/contacts/{customer.id}/access", person=caller, sa=self.sa, params=params
        )

    def test_staff_gets_the_access_explanation(self):
        marie = self.customer(actor=self.kwame)
        status, body = self.explain(marie, self.alice, person_id=self.jean.id)
        self.assertEqual(status, 200, body)
        self.assertFalse(body["visible"])
        self.assertEqual(
            (body["membership_id"], body["role_code"], body["policy"]),
            (self.tree.jean_membership.id, "agent", "assigned_plus_unassigned"),
        )
        self.assertEqual(body["actor_id"], self.kwame.id)
        self.assertIn("Kwame", body["reason"])

    def test_agent_cannot_use_the_explainer(self):
        marie = self.customer(actor=self.jean)
        self.assertError(self.explain(marie, self.jean, person_id=self.jean.id), 403)

    def test_explainer_needs_a_valid_person(self):
        marie = self.customer(actor=self.jean)
        self.assertError(self.explain(marie, self.alice), 422)
        self.assertError(self.explain(marie, self.alice, person_id="abc"), 422)
        self.assertError(self.explain(marie, self.alice, person_id=999999), 404)

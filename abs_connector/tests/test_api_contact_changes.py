import base64
import json
from datetime import timedelta
from types import SimpleNamespace
from unittest.mock import patch

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import tagged

from ..governance import errors, openapi, sync, visibility
from .api_common import SECRET, AbsApiCase, SyncReplica


@tagged("post_install", "-at_install", "abs_api")
class TestApiContactChanges(AbsApiCase):
    """GET /api/contacts/changes: snapshot, deltas, removals with reasons, resets, forged cursors."""

    def sync(self, person, cursor=None, limit=None):
        replica = SyncReplica(self, person, self.sa, limit=limit)
        if cursor is not None:
            replica.cursor = cursor
        return replica

    def changes(self, person, cursor=None, **params):
        if cursor is not None:
            params["cursor"] = cursor
        return self.api("GET", "/api/contacts/changes", person=person, sa=self.sa, params=params)

    # ---- snapshot ----

    def test_snapshot_pages_through_exactly_the_set_the_list_returns(self):
        for _n in range(3):
            self.customer(actor=self.jean)
        self.customer()  # unassigned: an agent sees it
        self.customer(actor=self.kwame)  # Kwame's: Jean does not
        replica = self.sync(self.jean, limit=2)

        pages = replica.pull()

        self.assertEqual(pages, 2)  # 4 visible customers, 2 a page
        self.assertEqual(replica.items, replica.listed())
        self.assertTrue(replica.cursor)

    def test_answer_matches_the_published_schema(self):
        self.customer(actor=self.jean)
        status, body = self.changes(self.jean)
        self.assertEqual(status, 200, body)
        openapi._validator("ContactChanges").validate(body)
        status, body = self.changes(self.jean, body["next_cursor"])
        self.assertEqual(status, 200, body)
        openapi._validator("ContactChanges").validate(body)

    # ---- deltas ----

    def test_agent_delta_brings_an_update_of_their_customer(self):
        marie = self.customer(actor=self.jean)
        replica = self.sync(self.jean)
        replica.pull()

        marie.write({"city": "Kara"})
        replica.pull()

        self.assertEqual(replica.items[marie.id]["city"], "Kara")
        self.assertEqual(replica.items, replica.listed())

    def test_agent_delta_removes_a_customer_reassigned_to_another_agent(self):
        marie = self.customer(actor=self.jean)
        jean, kwame = self.sync(self.jean), self.sync(self.kwame)
        jean.pull()
        kwame.pull()

        self.env["ov.sa_customer_assignment"]._abs_reassign(marie, self.sa, self.kwame, self.alice)
        body = jean.pull_page()
        kwame.pull()

        self.assertIn({"id": marie.id, "reason": sync.REMOVAL_REASSIGNED}, body["removals"])
        self.assertNotIn(marie.id, jean.items)
        self.assertEqual(kwame.items[marie.id]["actor_id"], self.kwame.id)

    def test_archived_customer_leaves_with_reason_archived_and_comes_back_when_unarchived(self):
        marie = self.customer(actor=self.jean)
        replica = self.sync(self.jean)
        replica.pull()

        marie._abs_archive_governed_customer(self.sa, self.alice)
        body = replica.pull_page()
        self.assertIn({"id": marie.id, "reason": sync.REMOVAL_ARCHIVED}, body["removals"])

        marie._abs_unarchive_governed_customer(self.sa, self.alice)
        replica.pull()
        self.assertEqual(replica.items, replica.listed())
        self.assertIn(marie.id, replica.items)

    def test_agent_delta_never_names_a_customer_they_never_could_see(self):
        kofi = self.customer(actor=self.kwame)
        replica = self.sync(self.jean)
        replica.pull()

        kofi.write({"city": "Sokodé"})
        self.env["ov.sa_customer_assignment"]._abs_reassign(kofi, self.sa, self.alice, self.alice)
        body = replica.pull_page()

        named = {item["id"] for item in body["upserts"]} | {item["id"] for item in body["removals"]}
        self.assertNotIn(kofi.id, named)

    # ---- cursors that cannot be continued ----

    def test_policy_change_answers_a_reset_then_a_new_snapshot_works(self):
        self.customer()  # unassigned
        replica = self.sync(self.jean)
        replica.pull()

        self.tree.jean_membership.write({"scope_policy": "assigned_only"})
        status, body = self.changes(self.jean, replica.cursor)
        error = self.assertError((status, body), 410, "cursor_reset")
        self.assertEqual(error["details"], {"reason": sync.RESET_MEMBERSHIP_CHANGED})

        replica.reset()
        replica.pull()
        self.assertEqual(replica.items, replica.listed())

    def test_cursor_older_than_the_retention_answers_a_reset_expired_after_compaction(self):
        self.customer(actor=self.jean)
        replica = self.sync(self.jean)
        replica.pull()
        horizon = sync.decode(replica.cursor, SECRET).horizon
        self.env["ir.config_parameter"].sudo().set_param("abs_connector.sync_retention_days", "1")

        # The daily cron, two days on: every change up to the cursor's horizon is past the
        # retention. The horizon is pinned just past the cursor's (this test's transaction is
        # the requests' too, so the real one would not move).
        changes = self.env["abs.contact.change"]
        two_days_on = fields.Datetime.now() + timedelta(days=2)
        with (
            patch.object(fields.Datetime, "now", return_value=two_days_on),
            patch.object(type(changes), "_abs_horizon", return_value=horizon + 1),
        ):
            changes._cron_compact()
        status, body = self.changes(self.jean, replica.cursor)

        error = self.assertError((status, body), 410, "cursor_reset")
        self.assertEqual(error["details"], {"reason": sync.RESET_EXPIRED})
        replica.reset()
        replica.pull()
        self.assertEqual(replica.items, replica.listed())

    def test_suspended_member_is_refused_and_resumes_after_reinstatement(self):
        marie = self.customer(actor=self.jean)
        replica = self.sync(self.jean)
        replica.pull()

        self.tree.jean_membership.write({"membership_state": "suspended"})
        self.assertError(self.changes(self.jean, replica.cursor), 403)
        marie.write({"city": "Atakpamé"})
        self.tree.jean_membership.write({"membership_state": "active"})

        replica.pull()
        self.assertEqual(replica.items[marie.id]["city"], "Atakpamé")

    # ---- forged and foreign cursors ----

    def test_forged_cursor_is_refused(self):
        _status, body = self.changes(self.jean)
        cursor = body["next_cursor"]
        payload, mac = cursor.split(".")
        values = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        values[5] = 0  # rewind the horizon: "send me everything again"
        forged_payload = base64.urlsafe_b64encode(json.dumps(values).encode()).rstrip(b"=").decode()
        other_secret = sync.encode(sync.decode(cursor, SECRET), "another-secret-0123456789-abcdefghijkl")

        for forged in (f"{forged_payload}.{mac}", other_secret, cursor[:-2], "garbage", "a.b"):
            with self.subTest(forged=forged[:20]):
                self.assertError(self.changes(self.jean, forged), 400, "invalid_cursor")

    def test_another_persons_cursor_is_refused(self):
        _status, body = self.changes(self.kwame)
        self.assertError(self.changes(self.jean, body["next_cursor"]), 400, "invalid_cursor")

    def test_bad_limit_is_422(self):
        self.assertError(self.changes(self.jean, limit="0"), 422)
        self.assertError(self.changes(self.jean, limit="201"), 422)


# Operations the property test draws; each goes through the same lifecycle method as the API,
# the back office and the wizards.
OPERATIONS = (
    "create",
    "update",
    "reassign",
    "archive",
    "unarchive",
    "policy",
    "role",
    "suspend",
    "reinstate",
    "revoke",
)


class NothingToDo(Exception):
    """The drawn operation has nothing to act on yet (no customer): the step changes nothing."""


REFUSALS = (UserError, ValidationError, AccessError, errors.AbsError, NothingToDo)


@tagged("post_install", "-at_install", "abs_api")
class TestContactSyncMatchesTheList(AbsApiCase):
    """Property: whatever happens, a replica kept by deltas equals what the list answers now.

    Random sequences of creates, updates, reassignments, archives/unarchives, policy and role
    changes, suspensions and revocations, in a fresh SA per example with two agents and a staff
    member. After every step each caller's replica pulls every delta page (resetting when told)
    and must equal that caller's ``GET /api/contacts``, field for field; a caller the list
    refuses is refused by the sync too.
    """

    @settings(
        max_examples=6,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.data())
    def test_every_replica_equals_its_callers_list_after_every_step(self, data):
        world = self._new_world()
        for _step in range(data.draw(st.integers(min_value=3, max_value=9), label="steps")):
            operation = data.draw(st.sampled_from(OPERATIONS), label="operation")
            self._apply(world, operation, data)
            self._check_replicas(world)

    # ---- the world of one example ----

    def _new_world(self):
        staff = self.make_person("Sync Staff")
        sa = self.make_branch("Sync Branch", manager=staff)
        agents = [self.make_member(sa, "agent") for _n in range(2)]
        members = [sa.sa_manager_id, *agents]
        return SimpleNamespace(
            sa=sa,
            staff=staff,
            agents=agents,
            members=members,
            customers=[],
            replicas=[SyncReplica(self, member.person_partner_id, sa, limit=3) for member in members],
        )

    def _apply(self, world, operation, data):
        try:
            with self.env.cr.savepoint():
                getattr(self, f"_op_{operation}")(world, data)
                self.env.flush_all()
        except REFUSALS:
            self.env.invalidate_all()  # a refused operation changed nothing

    def _customer(self, world, data):
        if not world.customers:
            raise NothingToDo()
        return data.draw(st.sampled_from(world.customers), label="customer")

    def _holder(self, world, data):
        choice = data.draw(st.sampled_from([None, *world.agents]), label="holder")
        return choice.person_partner_id if choice else None

    def _op_create(self, world, data):
        actor = self._holder(world, data)
        self._seq_customer = getattr(self, "_seq_customer", 0) + 1
        vals = {"name": f"Sync Customer {self._seq_customer}", "city": "Lomé"}
        customer = self.env["res.partner"]._abs_create_governed_customer(world.sa, vals, actor, False)
        world.customers.append(customer)

    def _op_update(self, world, data):
        city = data.draw(st.sampled_from(["Kara", "Sokodé", "Kpalimé", "Aného"]), label="city")
        self._customer(world, data)._abs_update_governed_customer({"city": city}, world.sa, world.staff)

    def _op_reassign(self, world, data):
        customer = self._customer(world, data)
        target = self._holder(world, data)
        self.env["ov.sa_customer_assignment"]._abs_reassign(customer, world.sa, target, world.staff)

    def _op_archive(self, world, data):
        self._customer(world, data)._abs_archive_governed_customer(world.sa, world.staff)

    def _op_unarchive(self, world, data):
        self._customer(world, data)._abs_unarchive_governed_customer(world.sa, world.staff)

    def _op_policy(self, world, data):
        member = data.draw(st.sampled_from(world.members), label="member")
        policy = data.draw(st.sampled_from([False, *visibility.POLICIES]), label="policy")
        member.write({"scope_policy": policy})

    def _op_role(self, world, data):
        member = data.draw(st.sampled_from(world.agents), label="member")
        member.write({"role_code": data.draw(st.sampled_from(["agent", "viewer", "staff"]), label="role")})

    def _op_suspend(self, world, data):
        data.draw(st.sampled_from(world.members), label="member").write({"membership_state": "suspended"})

    def _op_reinstate(self, world, data):
        data.draw(st.sampled_from(world.members), label="member").write({"membership_state": "active"})

    def _op_revoke(self, world, data):
        data.draw(st.sampled_from(world.agents), label="member").write({"membership_state": "revoked"})

    # ---- the property ----

    def _check_replicas(self, world):
        for replica in world.replicas:
            status, body = self.api("GET", "/api/contacts", person=replica.person, sa=world.sa)
            if status == 403:
                self.assertEqual(replica.request_page()[0], 403, "the sync must refuse whom the list refuses")
                continue
            self.assertEqual(status, 200, body)
            replica.pull(allow_reset=True)
            self.assertEqual(replica.items, replica.listed(), f"replica of {replica.person.name}")

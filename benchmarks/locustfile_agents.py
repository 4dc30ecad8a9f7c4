"""Locust scenarios of ``./dev bench load``: field apps and their supervisors.

Runs in the load benchmark's own virtualenv (Locust), started by bench_load.py with
``ABS_LOAD_SETUP`` naming a JSON file: the SA id, agent logins and the password.

Weights follow what an agent app does in a day: mostly lists and searches, opening
a customer, fewer creates and updates; one user in ten is a supervisor who
hands new leads to agents. Think time is compressed (0.5-1.5 s, not the 10-20 s of a
real app): the benchmark measures capacity, not one person's habits.
"""

import itertools
import json
import os
import random
import uuid

from locust import HttpUser, between, task

SETUP = json.loads(open(os.environ["ABS_LOAD_SETUP"]).read())  # noqa: SIM115
_AGENT_INDEX = itertools.count()
SEARCHES = ("customer", "topo", "agent", "a", "example")


class _AppUser(HttpUser):
    abstract = True
    wait_time = between(0.5, 1.5)

    def _sign_in(self, login):
        with self.client.post(
            "/api/auth/token",
            json={"login": login, "password": SETUP["password"]},
            name="POST /api/auth/token",
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"sign-in {response.status_code}")
                return
            token = response.json()["access_token"]
        self.client.headers.update({"Authorization": f"Bearer {token}", "X-SA-ID": str(SETUP["sa"])})

    def _list(self, path, name):
        response = self.client.get(path, name=name)
        if response.status_code == 200:
            ids = [item["id"] for item in response.json().get("items", [])]
            if ids:
                self.seen = ids
        return response


class AgentApp(_AppUser):
    weight = 9

    def on_start(self):
        self.seen, self.mine = [], []
        agent = SETUP["agents"][next(_AGENT_INDEX) % len(SETUP["agents"])]
        self.login = agent["login"]
        self._sign_in(self.login)

    @task(40)
    def list_customers(self):
        self._list("/api/contacts?limit=20", "GET /api/contacts (list)")

    @task(20)
    def search_customers(self):
        self._list(f"/api/contacts?search={random.choice(SEARCHES)}&limit=20", "GET /api/contacts (search)")

    @task(20)
    def open_customer(self):
        if self.seen:
            self.client.get(f"/api/contacts/{random.choice(self.seen)}", name="GET /api/contacts/<id>")

    @task(8)
    def create_customer(self):
        response = self.client.post(
            "/api/contacts",
            json={
                "name": f"Load {uuid.uuid4().hex[:10]}",
                "email": f"{uuid.uuid4().hex[:10]}@load.example.com",
            },
            headers={"Idempotency-Key": str(uuid.uuid4())},
            name="POST /api/contacts",
        )
        if response.status_code == 201:
            self.mine.append(response.json()["id"])

    @task(8)
    def update_customer(self):
        if self.mine:
            self.client.put(
                f"/api/contacts/{random.choice(self.mine)}",
                json={"phone": f"+228 90 {random.randint(0, 999999):06d}"},
                name="PUT /api/contacts/<id>",
            )


class SupervisorApp(_AppUser):
    weight = 1

    def on_start(self):
        self.seen = []
        self._sign_in(SETUP["manager_login"])

    @task(5)
    def list_customers(self):
        self._list("/api/contacts?limit=50", "GET /api/contacts (list)")

    @task(4)
    def create_and_assign_customer(self):
        """A lead the office takes in and hands to an agent (customers the agents hold stay theirs)."""
        response = self.client.post(
            "/api/contacts",
            json={"name": f"Lead {uuid.uuid4().hex[:10]}"},
            headers={"Idempotency-Key": str(uuid.uuid4())},
            name="POST /api/contacts",
        )
        if response.status_code != 201:
            return
        employee = random.choice(SETUP["agents"])["employee_id"]
        self.client.post(
            f"/api/contacts/{response.json()['id']}/assign",
            json={"employee_id": employee},
            name="POST /api/contacts/<id>/assign",
        )

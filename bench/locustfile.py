"""B7's users: browse, raise and submit, approve, view orders, download PDFs.

Started by ``bench.run`` with ``BENCH_LOAD_FIXTURE`` naming a JSON file of
signed-in session keys, ids and SKUs it prepared in the benchmark database.
A 4xx or 5xx answer (other than the 202 of a PDF still being built) counts
as an error.
"""

import json
import os
import random

from locust import HttpUser, between, task

FIXTURE = json.loads(open(os.environ["BENCH_LOAD_FIXTURE"], encoding="utf-8").read())  # noqa: SIM115


class _Signed(HttpUser):
    abstract = True
    wait_time = between(0.5, 2)
    role = ""

    def on_start(self):
        self.session = FIXTURE["sessions"][self.role]
        self.client.cookies.set("sessionid", self.session)

    def _csrf(self, url: str) -> dict:
        """Fetch a form page; the keyword arguments that post with its token.

        The server marks its cookies Secure, which a client on plain HTTP
        keeps but does not send back, so they are sent by hand.
        """
        response = self.client.get(url, name=url.split("?")[0])
        token = response.cookies.get("csrftoken") or self.client.cookies.get(
            "csrftoken", ""
        )
        return {
            "headers": {"X-CSRFToken": token, "Referer": self.host + "/"},
            "cookies": {"csrftoken": token, "sessionid": self.session},
        }


class Requisitioner(_Signed):
    weight = 5
    role = "requisitioner"

    @task(4)
    def browse_catalogue(self):
        self.client.get(
            "/catalogue/", params={"page": random.randint(1, 5)}, name="catalogue"
        )

    @task(1)
    def search_catalogue(self):
        self.client.get(
            "/catalogue/",
            params={"q": random.choice(FIXTURE["skus"])},
            name="catalogue search",
        )

    @task(3)
    def track_requisitions(self):
        self.client.get(
            "/orders/requisitions/",
            params={"page": random.randint(1, 3)},
            name="requisitions",
        )

    @task(2)
    def raise_and_submit(self):
        post = self._csrf("/orders/requisitions/new/")
        lines = random.sample(FIXTURE["skus"], 3)
        data = {
            "site": FIXTURE["site"],
            "cost_centre": FIXTURE["cost_centre"],
            "needed_by": FIXTURE["needed_by"],
            "notes": "Load test",
            "lines-TOTAL_FORMS": len(lines),
            "lines-INITIAL_FORMS": 0,
            "lines-MIN_NUM_FORMS": 0,
            "lines-MAX_NUM_FORMS": 1000,
        }
        for n, sku in enumerate(lines):
            data[f"lines-{n}-item"] = sku
            data[f"lines-{n}-quantity"] = random.randint(1, 20)
        with self.client.post(
            "/orders/requisitions/new/",
            data=data,
            name="raise requisition",
            allow_redirects=False,
            catch_response=True,
            **post,
        ) as response:
            if response.status_code != 302:
                response.failure(f"not saved: {response.status_code}")
                return
            response.success()
            location = response.headers["Location"]
        self.client.post(
            location.rstrip("/") + "/submit/", name="submit requisition", **post
        )

    @task(3)
    def view_orders(self):
        self.client.get("/orders/")
        if FIXTURE["orders"]:
            self.client.get(
                f"/orders/{random.choice(FIXTURE['orders'])}/", name="order detail"
            )


class Approver(_Signed):
    weight = 2
    role = "approver"

    @task(2)
    def queue(self):
        self.client.get("/orders/approvals/")

    @task(1)
    def approve(self):
        if not FIXTURE["submitted"]:
            return
        pk = random.choice(FIXTURE["submitted"])
        post = self._csrf("/orders/approvals/")
        self.client.post(
            f"/orders/requisitions/{pk}/approve/", name="approve requisition", **post
        )


class Buyer(_Signed):
    weight = 2
    role = "buyer"

    @task(3)
    def orders(self):
        self.client.get(
            "/orders/", params={"page": random.randint(1, 3)}, name="orders"
        )

    @task(2)
    def order_detail(self):
        if FIXTURE["orders"]:
            self.client.get(
                f"/orders/{random.choice(FIXTURE['orders'])}/", name="order detail"
            )

    @task(2)
    def download_pdf(self):
        if FIXTURE["orders"]:
            self.client.get(
                f"/orders/{random.choice(FIXTURE['orders'])}/pdf/", name="order PDF"
            )

    @task(1)
    def approved_lines(self):
        self.client.get("/orders/approved-lines/")

"""The hot reads (tracking page, short queue pages) run in short read sessions — on
PostgreSQL in autocommit, without BEGIN / ROLLBACK (:attr:`wanzheng.db.Database.short_reads`)
— and answer exactly what the same views answer inside an ordinary read transaction, for
every role's scope, with the contact masked and the public text redacted; on SQLite and
PostgreSQL."""

from __future__ import annotations

from typing import Any

from tests.web.test_case_flow import _jpeg
from wanzheng.cases.reads import case_row_by_tracking, case_rows
from wanzheng.web.routes.cases import _json, public_view, staff_view

STAFF = ("dispatcher", "city", "housing", "gw_west1", "gw_east1", "resident")


def test_short_reads_answer_what_a_read_transaction_answers(api: Any) -> None:
    desk = api.client.app.state.desk
    phone = "13912345678"
    a = api.submit(user="resident", text=f"5号楼3单元1201门口路灯不亮，电话{phone}")
    b = api.submit(lon=api.EAST_1[0], lat=api.EAST_1[1], text="垃圾桶满了没人清理")
    c = api.submit(text="楼道灯坏了", name="李四", phone="13700001234")
    api.act(a["id"], "dispatcher", "accept", note=f"已联系{phone}")
    api.act(a["id"], "dispatcher", "dispatch", department="city_management")
    api.act(a["id"], "city", "start")
    files = [("photos", ("after.jpg", _jpeg((10, 200, 10)), "image/jpeg"))]
    r = api.client.post(f"/api/cases/{a['id']}/photos", files=files, headers=api.h("city"))
    assert r.status_code == 200, r.text
    api.act(c["id"], "dispatcher", "merge", merged_into=a["id"])
    r = api.client.post("/api/proactive/outbox/deliver", headers=api.h("admin"))
    assert r.status_code == 200 and r.json()["sent"] == 2, r.text
    codes = [x["tracking_code"] for x in (a, b, c)]

    # through the service (its short read sessions) ...
    tracks = [api.client.get(f"/api/track/{code}") for code in codes]
    queues = {
        (user, n): api.client.get(f"/api/cases?limit={n}", headers=api.h(user))
        for user in STAFF
        for n in (1, 20)
    }
    # ... and the same views in ordinary read transactions
    with desk.reads() as s:
        expected_tracks = [
            _json(public_view(s, desk, case_row_by_tracking(s, code=code))).body for code in codes
        ]
    expected_queues = {}
    for user, n in queues:
        actor = desk.actor_of(api.tokens[user])
        with desk.reads() as s:
            rows = case_rows(s, actor=actor, limit=n, offset=0)
            expected_queues[user, n] = _json([staff_view(s, desk, x, actor) for x in rows]).body

    assert [t.status_code for t in tracks] == [200, 200, 200]
    assert [t.content for t in tracks] == expected_tracks
    assert all(q.status_code == 200 for q in queues.values())
    assert {k: q.content for k, q in queues.items()} == expected_queues
    # what the pages show: redacted public text, the handler's photo, a merge notice,
    # masked contacts, each staff member's scope
    public = b"".join(t.content for t in tracks)
    assert phone.encode() not in public and b"1201" not in public
    assert tracks[0].json()["after_photos"] and tracks[2].json()["notices"]
    staff = b"".join(q.content for q in queues.values())
    assert b"13700001234" not in staff and b"137****1234" in staff
    seen = {k: [x["id"] for x in q.json()] for k, q in queues.items()}
    assert seen["dispatcher", 20] == [c["id"], b["id"], a["id"]]
    assert seen["dispatcher", 1] == [c["id"]]
    assert seen["gw_east1", 20] == [b["id"]]
    assert seen["resident", 20] == [a["id"]]
    assert api.client.get("/api/track/NOSUCHCODE").status_code == 404

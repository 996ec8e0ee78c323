"""Selftest of the server's CopyStart model (armsim/copy.py, tests/arm/README.md "Copies"):
run from selftest.py as one section."""
import json
import os

API = "api-version=2025-01-02"
SUB = "00000000-0000-4000-8000-000000000001"
G = "/subscriptions/%s/resourceGroups/%%s/providers/Microsoft.Compute/%%s/%%s" % SUB


def make_seed(path):
    disks, snaps = [], []
    for d in ("da", "db", "dc"):
        did = G % ("prod", "disks", d)
        disks.append({"id": did, "location": "westeurope",
                      "properties": {"diskSizeGB": 32, "uniqueId": "uid-" + d}})
        for i in range(3):
            snaps.append({"id": G % ("prod", "snapshots", "%s-%d" % (d, i)), "location": "westeurope",
                          "properties": {"incremental": True, "creationData": {
                              "createOption": "Copy", "sourceResourceId": did},
                              "timeCreated": "2026-11-2%dT00:00:00.0000000+00:00" % i}})
    with open(path, "w") as f:
        json.dump({"disks": disks, "snapshots": snaps, "resourceGroups": [
            {"id": "/subscriptions/%s/resourceGroups/dr" % SUB, "location": "northeurope"}]}, f)


def copy_body(src_name, loc="northeurope"):
    return {"location": loc, "tags": {"snapkeep-policy": "p"},
            "properties": {"creationData": {"createOption": "CopyStart",
                                            "sourceResourceId": G % ("prod", "snapshots", src_name)}}}


def run(T, work):
    seed = os.path.join(work, "copy-seed.json")
    make_seed(seed)
    os.makedirs(os.path.join(work, "copy"), exist_ok=True)
    clock = os.path.join(work, "copy", "clock")
    with open(clock, "w") as f:
        f.write("2026-11-26T09:00:00Z\n")
    srv = T.Server(work, "copy", ["--lro-seconds", "0", "--clock-file", clock,
                                  "--region-copy-seconds", "3600", "--copy-parallel", "2"], seed=seed)
    check = T.check
    try:
        # a token per request: the virtual clock moves past a token's lifetime
        def put(name, src, loc="northeurope"):
            return srv.request("PUT", G % ("dr", "snapshots", name) + "?" + API,
                               copy_body(src, loc), token=srv.bearer())

        def get(name, rg="dr"):
            return srv.request("GET", G % (rg, "snapshots", name) + "?" + API,
                               token=srv.bearer())[2]

        st, h, b = put("da-0", "da-0")
        check("copy: CopyStart PUT answers 202 with an operation", st == 202 and
              "azure-asyncoperation" in h, (st, b))
        c = get("da-0")
        check("copy: the copy is in the body's region, createOption CopyStart, 0 percent",
              c["location"] == "northeurope"
              and c["properties"]["creationData"]["createOption"] == "CopyStart"
              and c["properties"]["completionPercent"] == 0.0
              and c["properties"]["provisioningState"] == "Succeeded", c)
        st, _, b = put("da-1", "da-1")
        check("copy: a second copy of the same disk while one runs is 409 OperationNotAllowed",
              st == 409 and T.error_code(b) == "OperationNotAllowed", (st, b))
        st, _, b = srv.request("DELETE", G % ("prod", "snapshots", "da-0") + "?" + API, token=srv.bearer())
        check("copy: deleting a source under copy is 409 OperationNotAllowed",
              st == 409 and T.error_code(b) == "OperationNotAllowed", (st, b))
        check("copy: ... and the source is still there", get("da-0", "prod") is not None)
        st1 = put("db-0", "db-0")[0]
        st, _, b = put("dc-0", "dc-0")
        check("copy: the parallel limit per subscription and region (--copy-parallel 2)",
              st1 == 202 and st == 409 and "maximum" in b["error"]["message"], (st1, st, b))
        srv.set_clock("2026-11-26T09:30:00Z")
        check("copy: completionPercent follows the virtual clock (50 after half of 3600 s)",
              get("da-0")["properties"]["completionPercent"] == 50.0)
        srv.set_clock("2026-11-26T10:00:00Z")
        c = get("da-0")
        check("copy: 100 percent once --region-copy-seconds have passed",
              c["properties"]["completionPercent"] == 100.0
              and "copyCompletionError" not in c["properties"], c)
        st, _, _ = srv.request("DELETE", G % ("prod", "snapshots", "da-0") + "?" + API, token=srv.bearer())
        check("copy: a source whose copy completed can be deleted", st in (200, 202, 204), st)
        st, _, b = put("db-x", "db-1")
        check("copy: one per disk counts per disk (db's copy done: db-1 may start)", st == 202, b)
        srv.set_clock("2026-11-26T11:00:00Z")
        st, _, b = put("da-1", "da-1")
        ok_new = st == 202
        srv.set_clock("2026-11-26T12:00:00Z")
        # db-1's copy is done: db-0, older, can no longer be copied to that region
        st, _, b = put("db-0-again", "db-0")
        check("copy: creation order: an older snapshot after a newer one's copy is 409",
              ok_new and st == 409 and "creation order" in b["error"]["message"], (st, b))
        srv.set_faults({"rules": [{"action": "fail-copy", "method": "PUT", "path": "/dc-fail",
                                   "code": "CopySourceGone", "at": 30}]})
        st, _, b = put("dc-fail", "dc-0")
        srv.clear_faults()
        srv.set_clock("2026-11-26T13:00:00Z")
        c = get("dc-fail")
        check("copy: fail-copy ends the copy with copyCompletionError at the given percent",
              st == 202 and c["properties"].get("copyCompletionError", {}).get("errorCode")
              == "CopySourceGone" and c["properties"]["completionPercent"] == 30.0, c)
        st, _, b = put("dc-retry", "dc-0")
        check("copy: a failed copy does not block the next attempt", st == 202, b)
        st, _, b = srv.request("PUT", G % ("dr", "disks", "from-running") + "?" + API, {
            "location": "northeurope", "properties": {"creationData": {
                "createOption": "Copy", "sourceResourceId": G % ("dr", "snapshots", "dc-retry")}}},
            token=srv.bearer())
        check("copy: a disk from a copy still running is 409 OperationNotAllowed",
              st == 409 and T.error_code(b) == "OperationNotAllowed", (st, b))
        st, _, b = srv.request("PUT", G % ("dr", "disks", "from-done") + "?" + API, {
            "location": "northeurope", "properties": {"creationData": {
                "createOption": "Copy", "sourceResourceId": G % ("dr", "snapshots", "da-0")}}},
            token=srv.bearer())
        check("copy: a disk from a completed copy, in the copy's region", st == 202, (st, b))
        st, _, b = put("bad", "da")
        check("copy: CopyStart of something that is not a snapshot is 404", st == 404, (st, b))
        listed = srv.request("GET", "/subscriptions/%s/resourceGroups/dr/providers/"
                             "Microsoft.Compute/snapshots?%s" % (SUB, API), token=srv.bearer())[2]
        check("copy: the listing shows completionPercent",
              all("completionPercent" in v["properties"] for v in listed["value"]), listed)
    finally:
        rc = srv.stop()
    check("copy: server exits 0 on SIGTERM", rc == 0, rc)
    state = json.load(open(os.path.join(work, "copy", "state.json")))
    check("copy: the copies' bookkeeping is saved with the state",
          any(k.endswith("/dc-retry") for k in state.get("regionCopies", {})), list(state.get("regionCopies", {})))

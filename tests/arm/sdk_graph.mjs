// Microsoft's Resource Graph SDK (@azure/arm-resourcegraph) against
// tests/arm/serve, unchanged: a query over the subscription paged with
// skipToken gives the snapshots ARM's listing gives, with the row shape
// and the quota headers the SDK expects, and a query the server cannot run
// surfaces as the SDK's RestError 400. Run by tests/integration/arm_sdk.sh
// (environment as for sdk_check.mjs). Prints "ok NAME" / "not ok NAME".
import { ClientSecretCredential } from "@azure/identity";
import { ComputeManagementClient } from "@azure/arm-compute";
import { ResourceGraphClient } from "@azure/arm-resourcegraph";

const url = process.env.ARM_URL, sub = process.env.ARM_SUB, rg = process.env.ARM_RG;
let failed = 0;
const ok = (name, cond, extra = "") => {
  if (!cond) failed = 1;
  console.log(`${cond ? "ok" : "not ok"} ${name}${extra ? " " + extra : ""}`);
};
const credential = new ClientSecretCredential(process.env.AZURE_TENANT_ID,
  process.env.AZURE_CLIENT_ID, process.env.AZURE_CLIENT_SECRET,
  { authorityHost: url, disableInstanceDiscovery: true });
const options = { endpoint: url, credentialScopes: ["https://management.azure.com/.default"],
                  retryOptions: { maxRetries: 3, retryDelayInMs: 100 } };
const graph = new ResourceGraphClient(credential, options);
const compute = new ComputeManagementClient(credential, sub, options);
const query = "Resources | where type =~ 'microsoft.compute/snapshots' "
  + "| project id, name, type, location, tags, sku, properties | order by id asc";

try {
  const armIds = [];
  for await (const s of compute.snapshots.listByResourceGroup(rg)) armIds.push(s.id.toLowerCase());
  armIds.sort();
  const rows = [];
  let skipToken, pages = 0, total = -1, quota = null, truncated = [];
  do {
    const r = await graph.resources(
      { subscriptions: [sub], query, options: { top: 40, skipToken, resultFormat: "objectArray" } },
      { onResponse: (raw) => { quota = raw.headers.get("x-ms-user-quota-remaining"); } });
    pages++;
    total = r.totalRecords;
    truncated.push(r.resultTruncated);
    ok(`sdk graph page ${pages}: count is the rows'`, r.count === r.data.length, `(${r.count})`);
    rows.push(...r.data);
    skipToken = r.skipToken;
  } while (skipToken && pages < 100);
  ok("sdk graph: paged with skipToken", pages > 1, `(${pages} pages)`);
  ok("sdk graph: every row, totalRecords of them", rows.length === total, `(${rows.length} of ${total})`);
  ok("sdk graph: resultTruncated false on every page", truncated.every((t) => t === "false"),
     `(${truncated.join(",")})`);
  const ids = rows.map((r) => r.id.toLowerCase()).sort();
  ok("sdk graph: the snapshots ARM lists", JSON.stringify(ids) === JSON.stringify(armIds),
     `(${ids.length} vs ${armIds.length})`);
  const r0 = rows[0] || {};
  ok("sdk graph: a row carries ARM's properties, type lower-cased",
     r0.type === "microsoft.compute/snapshots" && !!r0.properties && !!r0.properties.timeCreated);
  ok("sdk graph: x-ms-user-quota-remaining answered", quota !== null && /^\d+$/.test(quota),
     `(${quota})`);
  let code = null;
  try {
    await graph.resources({ subscriptions: [sub], query: "Resources | summarize count()" });
  } catch (e) {
    code = `${e.statusCode} ${e.code}`;
  }
  ok("sdk graph: a query the server cannot run is RestError 400 BadRequest",
     code === "400 BadRequest", `(${code})`);
} catch (e) {
  ok("sdk graph run without exception", false, `${e.name}: ${e.code || ""} ${e.statusCode || ""} ${e.message}`);
}
process.exit(failed);

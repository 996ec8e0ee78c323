// Microsoft's own SDK clients (@azure/identity, @azure/arm-compute: disks,
// snapshots, virtual machines; @azure/arm-network, -dns, -privatedns;
// @azure/arm-resources: the tags resource the run lease lives in), unchanged,
// against the local ARM test server. Run by tests/integration/arm_sdk.sh from
// a directory where both are installed.
// env: ARM_URL, ARM_SUB, ARM_RG, ARM_DISK, EXPECT_SNAPSHOTS, AZURE_TENANT_ID,
// AZURE_CLIENT_ID, AZURE_CLIENT_SECRET; NODE_EXTRA_CA_CERTS = the server's ca.pem.
// `node sdk_check.mjs` runs the resource checks with a client secret;
// `node sdk_check.mjs KIND` reads one disk with another credential kind:
// assertion (MAKE_JWT = tests/arm/make-jwt), appservice (IDENTITY_ENDPOINT,
// IDENTITY_HEADER), imds (AZURE_POD_IDENTITY_AUTHORITY_HOST = the plain-HTTP
// listener), cli (PATH starting with tests/arm/fake-az, ARM_TEST_URL, ARM_TEST_CA).
import { AzureCliCredential, ClientAssertionCredential, ClientSecretCredential,
         ManagedIdentityCredential } from "@azure/identity";
import { ComputeManagementClient } from "@azure/arm-compute";
import { NetworkManagementClient } from "@azure/arm-network";
import { PrivateDnsManagementClient } from "@azure/arm-privatedns";
import { DnsManagementClient } from "@azure/arm-dns";
import { ResourceManagementClient } from "@azure/arm-resources";
import { execFileSync } from "node:child_process";

const url = process.env.ARM_URL, sub = process.env.ARM_SUB, rg = process.env.ARM_RG;
const diskName = process.env.ARM_DISK, want = Number(process.env.EXPECT_SNAPSHOTS);
let failed = 0;
const ok = (name, cond, extra = "") => {
  console.log(`${cond ? "ok" : "not ok"} ${name}${extra ? " " + extra : ""}`);
  if (!cond) failed = 1;
};
const authority = { authorityHost: url, disableInstanceDiscovery: true };
const credentials = {
  secret: () => new ClientSecretCredential(process.env.AZURE_TENANT_ID, process.env.AZURE_CLIENT_ID,
    process.env.AZURE_CLIENT_SECRET, authority),
  assertion: () => new ClientAssertionCredential(process.env.AZURE_TENANT_ID,
    process.env.AZURE_CLIENT_ID, async () => execFileSync(process.env.MAKE_JWT).toString().trim(),
    authority),
  appservice: () => new ManagedIdentityCredential(),
  imds: () => new ManagedIdentityCredential({ clientId: "33333333-3333-4333-8333-333333333333" }),
  cli: () => new AzureCliCredential(),
};
const kind = process.argv[2] || "secret";
const diskId = (name) => `/subscriptions/${sub}/resourceGroups/${rg}/providers/Microsoft.Compute/disks/${name}`;
const power = async (vm) => (await client.virtualMachines.instanceView(rg, vm)).statuses
  .map((s) => s.code).find((c) => c.startsWith("PowerState/"));

// VirtualMachines: create on seeded disks, get, instanceView, attach/detach,
// deallocate/start/powerOff through the SDK's pollers; the disks' managedBy
// and diskState follow. The access token the credential got is a JWT.
// Failover's network steps: move a public IP between NICs with two PUTs
// through the SDK's pollers; refused while held; DNS and Private DNS A
// records updated with If-Match, a stale etag refused with 412.
async function netChecks() {
  const cred = credentials.secret();
  const net = new NetworkManagementClient(cred, sub, clientOptions);
  const pip = await net.publicIPAddresses.get(rg, "pip-sdk");
  ok("sdk network: get public IP (ipAddress, ipConfiguration back-reference)", pip.ipAddress === "20.1.2.3"
     && pip.ipConfiguration.id.toLowerCase().endsWith("/networkinterfaces/nic-p/ipconfigurations/ipconfig1"));
  const nicP = await net.networkInterfaces.get(rg, "nic-p");
  ok("sdk network: get NIC (primary ipConfiguration, privateIPAddress, publicIPAddress.id)",
     nicP.ipConfigurations[0].primary === true && nicP.ipConfigurations[0].privateIPAddress === "10.0.0.4"
     && nicP.ipConfigurations[0].publicIPAddress.id === pip.id && nicP.virtualMachine.id.endsWith("/sdk-vm-p"));
  const nicS = await net.networkInterfaces.get(rg, "nic-s");
  nicS.ipConfigurations[0].publicIPAddress = { id: pip.id };
  try {
    await net.networkInterfaces.beginCreateOrUpdateAndWait(rg, "nic-s", nicS);
    ok("sdk network: a public IP held by another NIC is refused", false);
  } catch (e) {
    ok("sdk network: a public IP held by another NIC is refused", e.statusCode === 400
       && e.code === "PublicIPAddressInUse", `${e.statusCode} ${e.code}`);
  }
  delete nicP.ipConfigurations[0].publicIPAddress;
  const p2 = await net.networkInterfaces.beginCreateOrUpdateAndWait(rg, "nic-p", nicP);
  const s2 = await net.networkInterfaces.beginCreateOrUpdateAndWait(rg, "nic-s", nicS);
  const moved = await net.publicIPAddresses.get(rg, "pip-sdk");
  ok("sdk network: public IP moved with two NIC PUTs (pollers)", p2.provisioningState === "Succeeded"
     && !p2.ipConfigurations[0].publicIPAddress && s2.ipConfigurations[0].publicIPAddress.id === pip.id
     && moved.ipConfiguration.id.toLowerCase().includes("/networkinterfaces/nic-s/"));
  const pdns = new PrivateDnsManagementClient(cred, sub, clientOptions);
  const rs = await pdns.recordSets.get(rg, "corp.internal", "A", "db");
  const upd = await pdns.recordSets.createOrUpdate(rg, "corp.internal", "A", "db",
    { ttl: 30, aRecords: [{ ipv4Address: s2.ipConfigurations[0].privateIPAddress }] }, { ifMatch: rs.etag });
  ok("sdk private DNS: A record get, then update with If-Match", rs.aRecords[0].ipv4Address === "10.0.0.4"
     && upd.aRecords[0].ipv4Address === "10.0.0.5" && upd.etag !== rs.etag);
  try {
    await pdns.recordSets.createOrUpdate(rg, "corp.internal", "A", "db",
      { ttl: 30, aRecords: [{ ipv4Address: "10.0.0.9" }] }, { ifMatch: rs.etag });
    ok("sdk private DNS: a stale etag is refused (412)", false);
  } catch (e) {
    ok("sdk private DNS: a stale etag is refused (412)", e.statusCode === 412, `${e.statusCode} ${e.code}`);
  }
  const dns = new DnsManagementClient(cred, sub, clientOptions);
  const r = await dns.recordSets.get(rg, "example.com", "app", "A");
  const r2 = await dns.recordSets.createOrUpdate(rg, "example.com", "app", "A",
    { ttl: 60, aRecords: [{ ipv4Address: moved.ipAddress }] }, { ifMatch: r.etag });
  let stale = 0;
  try {
    await dns.recordSets.createOrUpdate(rg, "example.com", "app", "A", { ttl: 60, aRecords: [] },
                                        { ifMatch: r.etag });
  } catch (e) { stale = e.statusCode; }
  ok("sdk Azure DNS: A record get (TTL/ARecords), update with If-Match, stale etag 412",
     r.ttl === 60 && r.aRecords[0].ipv4Address === "20.9.9.9" && r2.aRecords[0].ipv4Address === "20.1.2.3"
     && r2.etag !== r.etag && stale === 412, `(${r.ttl} ${stale})`);
}

async function vmChecks() {
  const tok = await credentials.secret().getToken("https://management.azure.com/.default");
  const part = (i) => JSON.parse(Buffer.from(tok.token.split(".")[i], "base64url").toString());
  const head = part(0), claims = part(1);
  ok("sdk token is a JWT with Entra's claims", tok.token.split(".").length === 3
     && head.alg === "RS256" && claims.aud === "https://management.azure.com"
     && claims.tid === process.env.AZURE_TENANT_ID && claims.appid === process.env.AZURE_CLIENT_ID
     && Math.abs(claims.exp * 1000 - tok.expiresOnTimestamp) < 5000, JSON.stringify(head));
  const vm = await client.virtualMachines.beginCreateOrUpdateAndWait(rg, "sdk-vm", {
    location: "westeurope", zones: ["1"], hardwareProfile: { vmSize: "Standard_D2s_v5" },
    storageProfile: { osDisk: { osType: "Linux", createOption: "Attach", managedDisk: { id: diskId("sdk-os") } },
                      dataDisks: [{ lun: 0, createOption: "Attach", caching: "ReadOnly",
                                    managedDisk: { id: diskId("sdk-data0") } }] },
    networkProfile: { networkInterfaces: [] } });
  ok("sdk create VM (poller)", vm.provisioningState === "Succeeded" && vm.storageProfile.dataDisks.length === 1,
     `(${vm.provisioningState})`);
  const got = await client.virtualMachines.get(rg, "sdk-vm");
  ok("sdk get VM", got.storageProfile.dataDisks[0].managedDisk.id.toLowerCase() === diskId("sdk-data0").toLowerCase()
     && got.storageProfile.dataDisks[0].caching === "ReadOnly" && got.zones[0] === "1");
  ok("sdk instanceView: PowerState/running", (await power("sdk-vm")) === "PowerState/running");
  const sp = await client.virtualMachines.beginAttachDetachDataDisksAndWait(rg, "sdk-vm", {
    dataDisksToAttach: [{ diskId: diskId("sdk-data1"), lun: 3, caching: "None", writeAcceleratorEnabled: false }] });
  ok("sdk attachDetachDataDisks attach (poller): result is the storage profile",
     sp && sp.dataDisks && sp.dataDisks.map((d) => d.lun).join(",") === "0,3",
     sp && sp.dataDisks ? "" : JSON.stringify(sp));
  const d1 = await client.disks.get(rg, "sdk-data1");
  ok("sdk disk shows managedBy and diskState Attached",
     d1.managedBy && d1.managedBy.toLowerCase().endsWith("/virtualmachines/sdk-vm") && d1.diskState === "Attached");
  await client.virtualMachines.beginDeallocateAndWait(rg, "sdk-vm");
  ok("sdk deallocate (poller): PowerState/deallocated, disk Reserved",
     (await power("sdk-vm")) === "PowerState/deallocated"
     && (await client.disks.get(rg, "sdk-data1")).diskState === "Reserved");
  const sp2 = await client.virtualMachines.beginAttachDetachDataDisksAndWait(rg, "sdk-vm", {
    dataDisksToDetach: [{ diskId: diskId("sdk-data1"), detachOption: "ForceDetach" }] });
  const d1b = await client.disks.get(rg, "sdk-data1");
  ok("sdk attachDetachDataDisks detach (poller): disk Unattached",
     sp2.dataDisks.length === 1 && !d1b.managedBy && d1b.diskState === "Unattached");
  await client.virtualMachines.beginStartAndWait(rg, "sdk-vm");
  ok("sdk start (poller): PowerState/running", (await power("sdk-vm")) === "PowerState/running");
  await client.virtualMachines.beginPowerOffAndWait(rg, "sdk-vm");
  ok("sdk powerOff (poller): PowerState/stopped", (await power("sdk-vm")) === "PowerState/stopped");
  try {
    await client.virtualMachines.beginAttachDetachDataDisksAndWait(rg, "sdk-vm", {
      dataDisksToAttach: [{ diskId: diskId("sdk-data1"), lun: 0 }] });
    ok("sdk: a LUN in use is refused with ARM's error", false);
  } catch (e) {
    ok("sdk: a LUN in use is refused with ARM's error", e.statusCode === 400 && e.code === "InvalidParameter",
       `${e.statusCode} ${e.code}`);
  }
  let vms = 0;
  for await (const v of client.virtualMachines.list(rg)) vms++;
  ok("sdk list VMs (the seeded two and the created one)", vms === 3, `(${vms})`);
}
// A disk's identity and background copies: a snapshot names its disk's
// uniqueId in creationData.sourceUniqueId; one of a Premium SSD v2 disk
// starts at completionPercent 0 (a number) and cannot make a disk yet (409).
async function copyChecks(disk, snap) {
  ok("sdk snapshot: creationData.sourceUniqueId is the disk's uniqueId",
     typeof disk.uniqueId === "string" && snap.creationData.sourceUniqueId === disk.uniqueId);
  const v2 = await client.disks.get(rg, "disk-v2");
  const copying = await client.snapshots.beginCreateOrUpdateAndWait(rg, "sdk-snap-v2", {
    location: v2.location, incremental: true,
    creationData: { createOption: "Copy", sourceResourceId: v2.id } });
  ok("sdk snapshot of a PremiumV2_LRS disk: completionPercent 0, a number",
     copying.provisioningState === "Succeeded" && copying.completionPercent === 0,
     `(${copying.completionPercent})`);
  let refused = 0;
  try {
    await client.disks.beginCreateOrUpdateAndWait(rg, "sdk-from-copying", { location: v2.location,
      creationData: { createOption: "Copy", sourceResourceId: copying.id } });
  } catch (e) { refused = e.statusCode; }
  ok("sdk disk from a snapshot still copying: refused (409)", refused === 409, `(${refused})`);
  await client.snapshots.beginDeleteAndWait(rg, "sdk-snap-v2");
}

// Microsoft.Resources/tags/default, where the run lease lives: read,
// Merge, Delete of a name/value pair (kept while the value differs),
// Replace, delete all, at resource-group and subscription scope, through
// the SDK's pollers; the answer carries no etag.
async function tagChecks() {
  const res = new ResourceManagementClient(credentials.secret(), sub, clientOptions);
  const scope = `/subscriptions/${sub}/resourceGroups/${rg}`;
  const t0 = await res.tagsOperations.getAtScope(scope);
  ok("sdk tags: get at resource-group scope (empty)", t0.name === "default"
     && t0.type === "Microsoft.Resources/tags" && Object.keys(t0.properties.tags || {}).length === 0);
  const lease = "host=sdk pid=1 run=r1 expires=2026-12-01T00:15:00Z";
  const t1 = await res.tagsOperations.updateAtScope(scope,
    { operation: "Merge", properties: { tags: { "snapkeep-lease-sdk": lease, env: "test" } } });
  ok("sdk tags: Merge through the poller", t1.properties.tags["snapkeep-lease-sdk"] === lease
     && t1.properties.tags.env === "test" && t1.etag === undefined);
  await res.tagsOperations.updateAtScope(scope,
    { operation: "Delete", properties: { tags: { "snapkeep-lease-sdk": "someone else's" } } });
  const t2 = await res.tagsOperations.getAtScope(scope);
  ok("sdk tags: Delete of a pair whose value differs keeps the tag",
     t2.properties.tags["snapkeep-lease-sdk"] === lease);
  await res.tagsOperations.updateAtScope(scope,
    { operation: "Delete", properties: { tags: { "snapkeep-lease-sdk": lease } } });
  const t3 = await res.tagsOperations.getAtScope(scope);
  ok("sdk tags: Delete of the matching pair removes it, the others stay",
     t3.properties.tags["snapkeep-lease-sdk"] === undefined && t3.properties.tags.env === "test");
  const t4 = await res.tagsOperations.createOrUpdateAtScope(`/subscriptions/${sub}`,
    { properties: { tags: { only: "this" } } });
  const t5 = await res.tagsOperations.getAtScope(`/subscriptions/${sub}`);
  ok("sdk tags: Replace and get at subscription scope", t4.properties.tags.only === "this"
     && JSON.stringify(t5.properties.tags) === '{"only":"this"}');
  await res.tagsOperations.deleteAtScope(scope);
  const t6 = await res.tagsOperations.getAtScope(scope);
  ok("sdk tags: delete all at scope", Object.keys(t6.properties.tags || {}).length === 0);
}
const clientOptions = {
  endpoint: url, credentialScopes: ["https://management.azure.com/.default"],
  updateIntervalInMs: 200, retryOptions: { maxRetries: 3, retryDelayInMs: 100 } };
const client = new ComputeManagementClient(credentials[kind](), sub, clientOptions);
if (kind !== "secret") {
  try {
    const d = await client.disks.get(rg, diskName);
    ok(`sdk credential ${kind}: token accepted, disk read`, d.name === diskName);
  } catch (e) {
    ok(`sdk credential ${kind}: token accepted, disk read`, false, `${e.name}: ${e.message}`);
  }
  process.exit(failed);
}
try {
  let n = 0;
  for await (const s of client.snapshots.listByResourceGroup(rg)) n++;
  ok("sdk list snapshots by resource group (all pages)", n === want, `(${n} of ${want})`);
  let m = 0;
  for await (const s of client.snapshots.list()) m++;
  ok("sdk list snapshots by subscription (all pages)", m === want, `(${m} of ${want})`);
  const disk = await client.disks.get(rg, diskName);
  ok("sdk get disk", disk.name === diskName && !!disk.location);
  const created = await client.snapshots.beginCreateOrUpdateAndWait(rg, "sdk-snap-1", {
    location: disk.location, tags: { "snapkeep-policy": "sdk" }, sku: { name: "Standard_ZRS" },
    incremental: true, creationData: { createOption: "Copy", sourceResourceId: disk.id } });
  ok("sdk create snapshot (poller)", created.provisioningState === "Succeeded"
     && created.incremental === true && created.timeCreated instanceof Date,
     `(${created.provisioningState})`);
  const got = await client.snapshots.get(rg, "sdk-snap-1");
  ok("sdk get snapshot", got.id.toLowerCase() === created.id.toLowerCase()
     && got.tags["snapkeep-policy"] === "sdk");
  // a conditional create (If-None-Match: *, as snapkeep sends it) of an
  // existing snapshot: the SDK sees ARM's 412 PreconditionFailed
  let refused = null;
  try {
    await client.snapshots.beginCreateOrUpdateAndWait(rg, "sdk-snap-1", {
      location: disk.location, incremental: true,
      creationData: { createOption: "Copy", sourceResourceId: disk.id } },
      { requestOptions: { headers: { "If-None-Match": "*" } } });
  } catch (e) { refused = e; }
  ok("sdk conditional create of an existing snapshot: 412 PreconditionFailed",
     refused !== null && refused.statusCode === 412 && refused.code === "PreconditionFailed",
     refused ? `(${refused.statusCode} ${refused.code})` : "(created)");
  // a cross-region copy (CopyStart): the SDK's poller ends, the copy reads as running
  const copy = await client.snapshots.beginCreateOrUpdateAndWait(rg, "sdk-copy-1", {
    location: "northeurope", tags: { "snapkeep-policy": "sdk", "snapkeep-copy-of": got.id },
    incremental: true, creationData: { createOption: "CopyStart", sourceResourceId: got.id } });
  ok("sdk CopyStart snapshot (poller)", copy.provisioningState === "Succeeded"
     && copy.location === "northeurope" && copy.creationData.createOption === "CopyStart"
     && typeof copy.completionPercent === "number" && copy.completionPercent < 100,
     `(${copy.provisioningState} ${copy.completionPercent})`);
  const copyGot = await client.snapshots.get(rg, "sdk-copy-1");
  ok("sdk get a copy: completionPercent and its source", copyGot.completionPercent < 100
     && copyGot.creationData.sourceResourceId.toLowerCase() === got.id.toLowerCase());
  let refusedCode = 0;
  try { await client.snapshots.beginDeleteAndWait(rg, "sdk-snap-1"); }
  catch (e) { refusedCode = e.statusCode; }
  ok("sdk delete of a source under copy: 409", refusedCode === 409, `(${refusedCode})`);
  await client.snapshots.beginDeleteAndWait(rg, "sdk-copy-1");
  const updated = await client.snapshots.beginUpdateAndWait(rg, "sdk-snap-1",
    { tags: { "snapkeep-policy": "sdk", extra: "1" } });
  ok("sdk update snapshot tags (poller)", updated.tags.extra === "1"
     && updated.provisioningState === "Succeeded");
  const restored = await client.disks.beginCreateOrUpdateAndWait(rg, "sdk-restored", {
    location: disk.location, creationData: { createOption: "Copy", sourceResourceId: got.id } });
  ok("sdk create disk from snapshot (poller)", restored.provisioningState === "Succeeded");
  await client.snapshots.beginDeleteAndWait(rg, "sdk-snap-1");
  let gone = false;
  try { await client.snapshots.get(rg, "sdk-snap-1"); } catch (e) { gone = e.statusCode === 404; }
  ok("sdk delete snapshot (poller), then 404", gone);
  await client.disks.beginDeleteAndWait(rg, "sdk-restored");
  ok("sdk delete disk (poller)", true);
  await copyChecks(disk, got);
  await vmChecks();
  await netChecks();
  await tagChecks();
} catch (e) {
  ok("sdk run without exception", false, `${e.name}: ${e.code || ""} ${e.statusCode || ""} ${e.message}`);
}
process.exit(failed);

/* Virtual machines and disks as recovery uses them (azure/vm.h), with the
 * transport replaced: the official examples parsed, power actions and
 * attach/detach followed to their end through Azure-AsyncOperation or
 * Location, failures passed on as ARM gave them, a POST that may have
 * reached ARM never sent twice, tag PATCH bodies, URLs. Run from the
 * repository's top directory (fixtures in tests/fixtures/arm/). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <cjson/cJSON.h>

#include "azure/az_internal.h"
#include "azure/vm_priv.h"
#include "support/fake_arm.h"

#define ARM FA_ARM
#define RG "/subscriptions/sub1/resourceGroups/rg1/providers/Microsoft.Compute"
#define VM_ID RG "/virtualMachines/vm1"
#define DISK_ID RG "/disks/d1"
#define CV "?api-version=2024-07-01"
#define DV "?api-version=2025-01-02"

#define EX_VM "/subscriptions/{subscription-id}/resourceGroups/myResourceGroup/providers/"
#define EX_DISKS EX_VM "Microsoft.Compute/disks/"

/* ---- reading a VM -------------------------------------------------- */

static void test_get_vm_examples(void **state)
{
    (void)state;
    az_client *c = fa_client(0);
    char *vm = fa_example_body("VirtualMachine_Get.json", "200");
    char *iv = fa_example_body("VirtualMachine_Get_InstanceView.json", "200");
    fa_add((fa_answer){ 200, vm, NULL, NULL, NULL, false });
    fa_add((fa_answer){ 200, iv, NULL, NULL, NULL, false });
    az_vm v;
    az_error err;
    assert_int_equal(az_get_vm(c, VM_ID, &v, &err), 1);
    assert_string_equal(v.id, EX_VM "Microsoft.Compute/virtualMachines/myVM");
    assert_string_equal(v.name, "myVM");
    assert_string_equal(v.location, "West US");
    assert_string_equal(v.zone, "");
    assert_string_equal(v.provisioning_state, "Succeeded");
    assert_string_equal(v.os_disk_id, EX_DISKS "myOsDisk");
    assert_int_equal(v.ndisks, 2);
    assert_int_equal(v.disks[0].lun, 0);
    assert_string_equal(v.disks[0].name, "myDataDisk0");
    assert_string_equal(v.disks[0].disk_id, EX_DISKS "myDataDisk0");
    assert_string_equal(v.disks[0].caching, "ReadWrite");
    assert_false(v.disks[0].write_accelerator);
    assert_false(v.disks[0].to_be_detached);
    assert_int_equal(v.disks[1].lun, 1);
    assert_string_equal(v.disks[1].disk_id, EX_DISKS "myDataDisk1");
    assert_int_equal(v.nnics, 1);
    assert_string_equal(v.nic_ids[0], EX_VM "Microsoft.Network/networkInterfaces/{myNIC}");
    assert_int_equal(v.primary_nic, 0);     /* the only NIC, not marked */
    assert_int_equal(v.power, AZ_POWER_RUNNING);
    assert_string_equal(az_power_name(v.power), "running");
    assert_int_equal(FA.nreq, 2);
    assert_string_equal(FA.reqs[0].method, "GET");
    assert_string_equal(FA.reqs[0].url, ARM VM_ID CV);
    assert_string_equal(FA.reqs[1].url, ARM VM_ID "/instanceView" CV);
    free(vm);
    free(iv);

    /* the attach/detach answer is a storage profile, read the same way */
    char *sp = fa_example_body("VirtualMachine_AttachDetachDataDisks_MaximumSet_Gen.json", "200");
    char body[8192];
    snprintf(body, sizeof body, "{\"name\":\"vm1\",\"properties\":{\"storageProfile\":%s}}", sp);
    assert_int_equal(az_vm_parse(body, strlen(body), &v, &err), 0);
    assert_int_equal(v.ndisks, 2);
    assert_int_equal(v.disks[0].lun, 1);
    assert_string_equal(v.disks[0].caching, "ReadOnly");
    assert_true(v.disks[0].write_accelerator);
    assert_int_equal(v.disks[1].lun, 2);
    assert_false(v.disks[1].write_accelerator);
    assert_int_equal(v.primary_nic, -1);
    free(sp);
    az_client_free(c);
}

static void test_get_vm_fields(void **state)
{
    (void)state;
    az_client *c = fa_client(0);
    const char *vm =
        "{\"name\":\"vm1\",\"id\":\"" VM_ID "\",\"location\":\"westeurope\",\"zones\":[\"2\"],"
        "\"properties\":{\"provisioningState\":\"Updating\",\"storageProfile\":{\"osDisk\":"
        "{\"managedDisk\":{\"id\":\"" RG "/disks/os\"}},\"dataDisks\":[{\"lun\":63,\"name\":\"a\","
        "\"managedDisk\":{\"id\":\"" RG "/disks/a\"},\"writeAcceleratorEnabled\":true,"
        "\"toBeDetached\":true}]},\"networkProfile\":{\"networkInterfaces\":[{\"id\":\"/n/0\"},"
        "{\"id\":\"/n/1\",\"properties\":{\"primary\":true}}]}}}";
    fa_add((fa_answer){ 200, vm, NULL, NULL, NULL, false });
    fa_add((fa_answer){ 200, "{\"statuses\":[{\"code\":\"ProvisioningState/succeeded\"},"
                       "{\"code\":\"PowerState/deallocated\"}]}", NULL, NULL, NULL, false });
    az_vm v;
    az_error err;
    assert_int_equal(az_get_vm(c, VM_ID, &v, &err), 1);
    assert_string_equal(v.zone, "2");
    assert_string_equal(v.provisioning_state, "Updating");
    assert_string_equal(v.os_disk_id, RG "/disks/os");
    assert_int_equal(v.ndisks, 1);
    assert_int_equal(v.disks[0].lun, 63);
    assert_string_equal(v.disks[0].caching, "None");    /* absent: ARM's default */
    assert_true(v.disks[0].write_accelerator);
    assert_true(v.disks[0].to_be_detached);
    assert_int_equal(v.nnics, 2);
    assert_int_equal(v.primary_nic, 1);
    assert_string_equal(v.nic_ids[1], "/n/1");
    assert_int_equal(v.power, AZ_POWER_DEALLOCATED);

    /* every power state ARM names, case as it comes, and the rest */
    static const struct { const char *code; az_power p; const char *name; } pw[] = {
        { "PowerState/running", AZ_POWER_RUNNING, "running" },
        { "PowerState/starting", AZ_POWER_STARTING, "starting" },
        { "PowerState/stopping", AZ_POWER_STOPPING, "stopping" },
        { "PowerState/stopped", AZ_POWER_STOPPED, "stopped" },
        { "PowerState/deallocating", AZ_POWER_DEALLOCATING, "deallocating" },
        { "powerstate/Deallocated", AZ_POWER_DEALLOCATED, "deallocated" },
        { "PowerState/unknown", AZ_POWER_UNKNOWN, "unknown" },
        { "PowerState/hibernated", AZ_POWER_UNKNOWN, "unknown" },
        { "ProvisioningState/succeeded", AZ_POWER_UNKNOWN, "unknown" },
    };
    for (size_t i = 0; i < sizeof pw / sizeof pw[0]; i++) {
        char b[128];
        snprintf(b, sizeof b, "{\"statuses\":[{\"code\":\"%s\"}]}", pw[i].code);
        assert_int_equal(az_vm_parse_power(b, strlen(b)), pw[i].p);
        assert_string_equal(az_power_name(pw[i].p), pw[i].name);
    }
    az_client_free(c);
}

/* ARM IDs come unencoded ("my rg", "{myNIC}"): every segment is escaped,
 * and an ID already escaped is not escaped twice. */
static void test_urls_encoded(void **state)
{
    (void)state;
    az_client *c = fa_client(0);
    const char *id = "/subscriptions/sub1/resourceGroups/my rg(1)/providers/Microsoft.Compute/"
                     "virtualMachines/vm{1}";
    const char *want = ARM "/subscriptions/sub1/resourceGroups/my%20rg%281%29/providers/"
                       "Microsoft.Compute/virtualMachines/vm%7B1%7D";
    fa_add((fa_answer){ 404, "{\"error\":{\"code\":\"ResourceNotFound\",\"message\":\"no\"}}",
                       NULL, NULL, NULL, false });
    fa_add((fa_answer){ 202, NULL, NULL, ARM "/op/1", "0", false });
    fa_add((fa_answer){ 200, NULL, NULL, NULL, NULL, false });
    fa_add((fa_answer){ 404, "{}", NULL, NULL, NULL, false });
    az_vm v;
    az_error err;
    assert_int_equal(az_get_vm(c, id, &v, &err), 0);
    assert_int_equal(az_vm_power_action(c, id, AZ_VM_START, &err), 0);
    az_disk_info d;
    assert_int_equal(az_get_disk_info(c, RG "/disks/a%20b", &d, &err), 0);
    char u[1024];
    snprintf(u, sizeof u, "%s" CV, want);
    assert_string_equal(FA.reqs[0].url, u);
    snprintf(u, sizeof u, "%s/start" CV, want);
    assert_string_equal(FA.reqs[1].url, u);
    assert_string_equal(FA.reqs[3].url, ARM RG "/disks/a%20b" DV);
    az_client_free(c);
}

static void test_get_vm_404_and_unknown_power(void **state)
{
    (void)state;
    az_client *c = fa_client(0);
    az_vm v;
    az_error err;
    fa_add((fa_answer){ 404, "{\"error\":{\"code\":\"ResourceNotFound\",\"message\":\"gone\"}}",
                       NULL, NULL, NULL, false });
    assert_int_equal(az_get_vm(c, VM_ID, &v, &err), 0);
    assert_int_equal(FA.nreq, 1);            /* no instanceView of a missing VM */
    assert_string_equal(err.code, "");

    const char *vm = "{\"name\":\"vm1\",\"properties\":{}}";
    /* instanceView refused, not JSON, without a PowerState: unknown, not an error */
    const char *views[][2] = {
        { "403", "{\"error\":{\"code\":\"AuthorizationFailed\",\"message\":\"no\"}}" },
        { "200", "<html>" },
        { "200", "{\"statuses\":[{\"code\":\"ProvisioningState/succeeded\"}]}" },
        { "404", "{}" },
    };
    for (size_t i = 0; i < 4; i++) {
        fa_add((fa_answer){ 200, vm, NULL, NULL, NULL, false });
        fa_add((fa_answer){ atoi(views[i][0]), views[i][1], NULL, NULL, NULL, false });
        v.power = AZ_POWER_RUNNING;
        assert_int_equal(az_get_vm(c, VM_ID, &v, &err), 1);
        assert_int_equal(v.power, AZ_POWER_UNKNOWN);
        assert_string_equal(v.name, "vm1");
        assert_int_equal(v.ndisks, 0);
        assert_int_equal(v.primary_nic, -1);
    }
    /* the VM read itself failing is an error */
    fa_add((fa_answer){ 403, "{\"error\":{\"code\":\"AuthorizationFailed\",\"message\":\"no\"}}",
                       NULL, NULL, NULL, false });
    assert_int_equal(az_get_vm(c, VM_ID, &v, &err), -1);
    assert_string_equal(err.code, "AuthorizationFailed");
    assert_int_equal(err.http_status, 403);
    az_client_free(c);
}

static void test_get_vm_refuses_bad_fields(void **state)
{
    (void)state;
    az_client *c = fa_client(0);
    static char longid[1200];
    memset(longid, 'x', sizeof longid - 1);
    char longvm[1400];
    snprintf(longvm, sizeof longvm, "{\"properties\":{\"storageProfile\":{\"dataDisks\":[{\"lun\":"
             "0,\"managedDisk\":{\"id\":\"/%s\"}}]}}}", longid);
    const struct { const char *body, *msg; } bad[] = {
        { "{\"properties\":{\"storageProfile\":{\"dataDisks\":[{\"lun\":\"0\"}]}}}",
          "properties.storageProfile.dataDisks[0].lun" },
        { "{\"properties\":{\"storageProfile\":{\"dataDisks\":[{\"lun\":64}]}}}",
          "dataDisks[0].lun" },
        { "{\"properties\":{\"storageProfile\":{\"dataDisks\":[{\"lun\":1.5}]}}}",
          "dataDisks[0].lun" },
        { longvm, "dataDisks[0].managedDisk.id: 1200 characters" },
        { "{\"zones\":\"1\"}", "zones: expected an array" },
        { "[]", "not a JSON object" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        az_vm v;
        az_error err;
        fa_add((fa_answer){ 200, bad[i].body, NULL, NULL, NULL, false });
        size_t before = FA.nreq;
        assert_int_equal(az_get_vm(c, VM_ID, &v, &err), -1);
        assert_int_equal(FA.nreq, before + 1);
        assert_string_equal(err.code, "InvalidResponse");
        if (strstr(err.message, bad[i].msg) == NULL || strstr(err.message, VM_ID) == NULL)
            fail_msg("case %zu: %s", i, err.message);
    }
    az_client_free(c);
}

/* ---- power actions: the long-running operation --------------------- */

/* The official example answers 202 with a Location; polled, Retry-After
 * honoured, until 200. */
static void test_power_via_location(void **state)
{
    (void)state;
    az_client *c = fa_client(0);
    cJSON *ex = fa_fixture("VirtualMachine_Deallocate_MinimumSet_Gen.json");
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(ex, "parameters"),
                                            "api-version")->valuestring, "2024-07-01");
    assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(
        cJSON_GetObjectItem(ex, "responses"), "202"), "headers"), "location"));
    cJSON_Delete(ex);
    const char *loc = ARM "/subscriptions/sub1/providers/Microsoft.Compute/locations/westeurope/"
                      "operations/op1?p=1&api-version=2024-07-01";
    fa_add((fa_answer){ 202, NULL, NULL, loc, "3", false });
    fa_add((fa_answer){ 202, NULL, NULL, loc, "5", false });
    fa_add((fa_answer){ 200, NULL, NULL, NULL, NULL, false });
    az_error err;
    assert_int_equal(az_vm_power_action(c, VM_ID, AZ_VM_DEALLOCATE, &err), 0);
    assert_int_equal(FA.nreq, 3);
    assert_string_equal(FA.reqs[0].method, "POST");
    assert_string_equal(FA.reqs[0].url, ARM VM_ID "/deallocate" CV);
    assert_true(FA.reqs[0].has_body);                /* sent with Content-Length: 0 */
    assert_string_equal(FA.reqs[0].body, "");
    assert_string_equal(FA.reqs[1].method, "GET");
    assert_string_equal(FA.reqs[1].url, loc);
    assert_string_equal(FA.reqs[2].url, loc);
    assert_true(FA.now_ms >= 8000);

    /* the other actions' paths */
    fa_add((fa_answer){ 200, NULL, NULL, NULL, NULL, false });
    fa_add((fa_answer){ 202, NULL, NULL, ARM "/op/2", "0", false });
    fa_add((fa_answer){ 204, NULL, NULL, NULL, NULL, false });
    assert_int_equal(az_vm_power_action(c, VM_ID, AZ_VM_POWER_OFF, &err), 0);
    assert_int_equal(az_vm_power_action(c, VM_ID, AZ_VM_START, &err), 0);
    assert_string_equal(FA.reqs[3].url, ARM VM_ID "/powerOff" CV);
    assert_string_equal(FA.reqs[4].url, ARM VM_ID "/start" CV);
    assert_string_equal(FA.reqs[5].url, ARM "/op/2");
    az_client_free(c);
}

/* Azure-AsyncOperation is preferred: Location is never polled. */
static void test_power_via_async_operation(void **state)
{
    (void)state;
    az_client *c = fa_client(0);
    const char *aop = ARM "/subscriptions/sub1/providers/Microsoft.Compute/locations/westeurope/"
                      "operations/op9?api-version=2024-07-01";
    fa_add((fa_answer){ 202, NULL, aop, ARM "/location-url", "1", false });
    fa_add((fa_answer){ 200, "{\"status\":\"InProgress\"}", NULL, NULL, "2", false });
    fa_add((fa_answer){ 200, "{\"status\":\"Succeeded\"}", NULL, NULL, NULL, false });
    az_error err;
    assert_int_equal(az_vm_power_action(c, VM_ID, AZ_VM_START, &err), 0);
    assert_int_equal(FA.nreq, 3);
    assert_string_equal(FA.reqs[1].url, aop);
    assert_string_equal(FA.reqs[2].url, aop);
    assert_true(FA.now_ms >= 3000);
    az_client_free(c);
}

static void test_power_failures(void **state)
{
    (void)state;
    az_client *c = fa_client(0);
    az_error err;
    /* the operation fails: its error comes back as ARM wrote it */
    fa_add((fa_answer){ 202, NULL, ARM "/op/f", NULL, "0", false });
    fa_add((fa_answer){ 200, "{\"status\":\"Failed\",\"error\":{\"code\":\"AllocationFailed\","
                       "\"message\":\"no capacity in zone 2\"}}", NULL, NULL, NULL, false });
    assert_int_equal(az_vm_power_action(c, VM_ID, AZ_VM_START, &err), -1);
    assert_string_equal(err.code, "AllocationFailed");
    assert_string_equal(err.message, "no capacity in zone 2");
    assert_false(err.ambiguous);

    /* a Location poll answering an error */
    fa_add((fa_answer){ 202, NULL, NULL, ARM "/op/g", "0", false });
    fa_add((fa_answer){ 409, "{\"error\":{\"code\":\"OperationPreempted\",\"message\":\"x\"}}",
                       NULL, NULL, NULL, false });
    assert_int_equal(az_vm_power_action(c, VM_ID, AZ_VM_START, &err), -1);
    assert_string_equal(err.code, "OperationPreempted");

    /* refused at once */
    fa_add((fa_answer){ 409, "{\"error\":{\"code\":\"OperationNotAllowed\",\"message\":\"busy\"}}",
                       NULL, NULL, NULL, false });
    size_t before = FA.nreq;
    assert_int_equal(az_vm_power_action(c, VM_ID, AZ_VM_DEALLOCATE, &err), -1);
    assert_string_equal(err.code, "OperationNotAllowed");
    assert_int_equal(err.http_status, 409);
    assert_int_equal(FA.nreq, before + 1);

    /* a monitor on another host never gets the token (the official
     * example's "https://foo.com/operationstatus") */
    fa_add((fa_answer){ 202, NULL, NULL, "https://foo.com/operationstatus", "0", false });
    before = FA.nreq;
    assert_int_equal(az_vm_power_action(c, VM_ID, AZ_VM_DEALLOCATE, &err), -1);
    assert_string_equal(err.code, "UntrustedUrl");
    assert_int_equal(FA.nreq, before + 1);

    /* accepted without anything to follow */
    fa_add((fa_answer){ 202, NULL, NULL, NULL, NULL, false });
    assert_int_equal(az_vm_power_action(c, VM_ID, AZ_VM_DEALLOCATE, &err), -1);
    assert_string_equal(err.code, "InvalidResponse");
    assert_int_equal(az_vm_power_action(c, VM_ID, (az_vm_action)7, &err), -1);
    assert_string_equal(err.code, "InvalidOperation");
    /* no ID: refused, never a request to the subscription's root */
    before = FA.nreq;
    az_vm v;
    az_disk_info d;
    assert_int_equal(az_get_vm(c, "", &v, &err), -1);
    assert_string_equal(err.message, "no virtual machine ID given");
    assert_int_equal(az_vm_power_action(c, NULL, AZ_VM_START, &err), -1);
    assert_int_equal(az_vm_attach_detach(c, NULL, NULL, 0, NULL, 0, &err), -1);
    assert_int_equal(az_get_disk_info(c, NULL, &d, &err), -1);
    assert_int_equal(az_disk_set_tags(c, "", NULL, 0, &err), -1);
    assert_string_equal(err.message, "no disk ID given");
    assert_int_equal(FA.nreq, before);
    az_client_free(c);
}

/* Throttled: ARM did not act on it, so it is sent again after Retry-After. */
static void test_power_429_then_success(void **state)
{
    (void)state;
    az_client *c = fa_client(0);
    fa_add((fa_answer){ 429, "{\"error\":{\"code\":\"TooManyRequests\",\"message\":\"slow\"}}",
                       NULL, NULL, "7", false });
    fa_add((fa_answer){ 202, NULL, NULL, ARM "/op/3", "0", false });
    fa_add((fa_answer){ 200, NULL, NULL, NULL, NULL, false });
    az_error err;
    assert_int_equal(az_vm_power_action(c, VM_ID, AZ_VM_DEALLOCATE, &err), 0);
    assert_int_equal(FA.nreq, 3);
    assert_string_equal(FA.reqs[0].method, "POST");
    assert_string_equal(FA.reqs[1].method, "POST");
    assert_true(FA.now_ms >= 7000);
    az_client_free(c);
}

/* A POST that may have reached ARM (dropped connection, 5xx) is not sent
 * again: the caller re-reads the VM. One that never left is. */
static void test_dropped_post_not_repeated(void **state)
{
    (void)state;
    az_client *c = fa_client(0);
    az_error err;
    fa_add((fa_answer){ 0, NULL, NULL, NULL, NULL, false });
    assert_int_equal(az_vm_power_action(c, VM_ID, AZ_VM_DEALLOCATE, &err), -1);
    assert_int_equal(FA.nreq, 1);
    assert_true(err.ambiguous);
    assert_true(err.transport);
    assert_non_null(strstr(err.message, "may have reached ARM"));

    fa_add((fa_answer){ 503, "{\"error\":{\"code\":\"ServiceUnavailable\",\"message\":\"x\"}}",
                       NULL, NULL, NULL, false });
    assert_int_equal(az_vm_attach_detach(c, VM_ID, &(az_disk_attach){ DISK_ID, 0, NULL, false },
                                         1, NULL, 0, &err), -1);
    assert_int_equal(FA.nreq, 2);
    assert_true(err.ambiguous);
    assert_int_equal(err.http_status, 503);

    fa_add((fa_answer){ 0, NULL, NULL, NULL, NULL, true });
    fa_add((fa_answer){ 202, NULL, NULL, ARM "/op/4", "0", false });
    fa_add((fa_answer){ 200, NULL, NULL, NULL, NULL, false });
    assert_int_equal(az_vm_power_action(c, VM_ID, AZ_VM_START, &err), 0);
    assert_int_equal(FA.nreq, 5);
    assert_string_equal(FA.reqs[3].method, "POST");
    az_client_free(c);
}

/* Polls are reads: they ride through faults, within the LRO deadline. */
static void test_poll_faults_and_deadline(void **state)
{
    (void)state;
    az_client *c = fa_client(0);
    az_error err;
    fa_add((fa_answer){ 202, NULL, ARM "/op/5", NULL, "0", false });
    fa_add((fa_answer){ 503, "{}", NULL, NULL, "1", false });
    fa_add((fa_answer){ 0, NULL, NULL, NULL, NULL, false });
    fa_add((fa_answer){ 200, "{\"status\":\"Succeeded\"}", NULL, NULL, NULL, false });
    assert_int_equal(az_vm_power_action(c, VM_ID, AZ_VM_START, &err), 0);
    assert_int_equal(FA.nreq, 4);
    az_client_free(c);

    c = fa_client(10);
    fa_add((fa_answer){ 202, NULL, NULL, ARM "/op/6", "4", false });
    for (int i = 0; i < 6; i++)
        fa_add((fa_answer){ 202, NULL, NULL, ARM "/op/6", "4", false });
    assert_int_equal(az_vm_power_action(c, VM_ID, AZ_VM_DEALLOCATE, &err), -1);
    assert_string_equal(err.code, "OperationTimedOut");
    assert_non_null(strstr(err.message, VM_ID "/deallocate did not finish within 10 s"));
    assert_true(FA.nreq <= 5);
    az_client_free(c);
}

/* ---- attach / detach ----------------------------------------------- */

/* The request body of the official example (less the encryption set and
 * deleteOption, which recovery never sets), then its answer. */
static void test_attach_detach_example(void **state)
{
    (void)state;
    az_client *c = fa_client(0);
    cJSON *ex = fa_fixture("VirtualMachine_AttachDetachDataDisks_MaximumSet_Gen.json");
    cJSON *want = cJSON_GetObjectItem(cJSON_GetObjectItem(ex, "parameters"), "parameters");
    cJSON *wa = cJSON_GetObjectItem(want, "dataDisksToAttach");
    cJSON *wd = cJSON_GetObjectItem(want, "dataDisksToDetach");
    az_disk_attach att[2];
    az_disk_detach det[2];
    for (int i = 0; i < 2; i++) {
        cJSON *a = cJSON_GetArrayItem(wa, i), *d = cJSON_GetArrayItem(wd, i);
        att[i] = (az_disk_attach){ cJSON_GetObjectItem(a, "diskId")->valuestring,
                                   cJSON_GetObjectItem(a, "lun")->valueint,
                                   cJSON_GetObjectItem(a, "caching")->valuestring,
                                   cJSON_IsTrue(cJSON_GetObjectItem(a, "writeAcceleratorEnabled")) };
        det[i] = (az_disk_detach){ cJSON_GetObjectItem(d, "diskId")->valuestring, true };
        cJSON_DeleteItemFromObject(a, "diskEncryptionSet");
        cJSON_DeleteItemFromObject(a, "deleteOption");
    }
    char *answer = fa_example_body("VirtualMachine_AttachDetachDataDisks_MaximumSet_Gen.json", "200");
    fa_add((fa_answer){ 202, NULL, NULL, ARM "/op/7", "1", false });
    fa_add((fa_answer){ 200, answer, NULL, NULL, NULL, false });
    az_error err;
    assert_int_equal(az_vm_attach_detach(c, VM_ID, att, 2, det, 2, &err), 0);
    assert_int_equal(FA.nreq, 2);
    assert_string_equal(FA.reqs[0].method, "POST");
    assert_string_equal(FA.reqs[0].url, ARM VM_ID "/attachDetachDataDisks" CV);
    cJSON *got = cJSON_Parse(FA.reqs[0].body);
    assert_non_null(got);
    if (!cJSON_Compare(got, want, true)) {
        char *w = cJSON_PrintUnformatted(want);
        fail_msg("body %s, want %s", FA.reqs[0].body, w);
    }
    cJSON_Delete(got);
    free(answer);

    /* defaults: caching None, no detachOption unless forced, an empty
     * list left out; nothing to do sends nothing */
    fa_add((fa_answer){ 200, "{}", NULL, NULL, NULL, false });
    az_disk_attach one = { DISK_ID, 5, NULL, false };
    assert_int_equal(az_vm_attach_detach(c, VM_ID, &one, 1, NULL, 0, &err), 0);
    assert_string_equal(FA.reqs[2].body, "{\"dataDisksToAttach\":[{\"diskId\":\"" DISK_ID "\","
                        "\"lun\":5,\"caching\":\"None\",\"writeAcceleratorEnabled\":false}]}");
    fa_add((fa_answer){ 200, "{}", NULL, NULL, NULL, false });
    az_disk_detach off = { DISK_ID, false };
    assert_int_equal(az_vm_attach_detach(c, VM_ID, NULL, 0, &off, 1, &err), 0);
    assert_string_equal(FA.reqs[3].body, "{\"dataDisksToDetach\":[{\"diskId\":\"" DISK_ID "\"}]}");
    assert_int_equal(az_vm_attach_detach(c, VM_ID, NULL, 0, NULL, 0, &err), 0);
    az_disk_attach noid = { NULL, 0, NULL, false };
    assert_int_equal(az_vm_attach_detach(c, VM_ID, &noid, 1, NULL, 0, &err), -1);
    assert_string_equal(err.code, "InvalidOperation");
    assert_int_equal(FA.nreq, 4);
    cJSON_Delete(ex);
    az_client_free(c);
}

/* ARM's refusals reach the caller unchanged: code, message, status. */
static void test_attach_conflicts(void **state)
{
    (void)state;
    az_client *c = fa_client(0);
    az_error err;
    az_disk_attach one = { DISK_ID, 0, "None", false };
    fa_add((fa_answer){ 409, "{\"error\":{\"code\":\"OperationNotAllowed\",\"message\":\"Disk d1 "
                       "is attached to VM vm2.\",\"target\":\"dataDisks\"}}", NULL, NULL, NULL,
                       false });
    assert_int_equal(az_vm_attach_detach(c, VM_ID, &one, 1, NULL, 0, &err), -1);
    assert_string_equal(err.code, "OperationNotAllowed");
    assert_string_equal(err.message, "Disk d1 is attached to VM vm2. (target dataDisks)");
    assert_int_equal(err.http_status, 409);
    assert_false(err.ambiguous);
    assert_int_equal(FA.nreq, 1);

    fa_add((fa_answer){ 202, NULL, ARM "/op/8", NULL, "0", false });
    fa_add((fa_answer){ 200, "{\"status\":\"Failed\",\"error\":{\"code\":\"InvalidParameter\","
                       "\"message\":\"A disk at LUN 0 already exists.\"}}", NULL, NULL, NULL,
                       false });
    assert_int_equal(az_vm_attach_detach(c, VM_ID, &one, 1, NULL, 0, &err), -1);
    assert_string_equal(err.code, "InvalidParameter");
    assert_string_equal(err.message, "A disk at LUN 0 already exists.");
    az_client_free(c);
}

/* ---- disks ---------------------------------------------------------- */

static void test_disk_info(void **state)
{
    (void)state;
    az_client *c = fa_client(0);
    char *ex = fa_example_body("Disk_Get.json", "200");
    fa_add((fa_answer){ 200, ex, NULL, NULL, NULL, false });
    az_disk_info d;
    az_error err;
    assert_int_equal(az_get_disk_info(c, DISK_ID, &d, &err), 1);
    assert_string_equal(FA.reqs[0].url, ARM DISK_ID DV);
    assert_string_equal(d.name, "myManagedDisk");
    assert_string_equal(d.managed_by, "/subscriptions/123caaa-123v-v211-a49f-f88ccac5bf88/"
                        "resourceGroups/ResourceGroupName/providers/Microsoft.Compute/"
                        "virtualMachines/TestVM414689371c88843d65ec");
    assert_string_equal(d.disk_state, "");      /* the example has none */
    assert_string_equal(d.location, "westus");
    assert_string_equal(d.sku, "Standard_LRS");
    assert_string_equal(d.provisioning_state, "Succeeded");
    assert_string_equal(d.zone, "");
    assert_int_equal(d.ntags, 2);
    assert_string_equal(d.tags[0].key, "department");
    assert_string_equal(d.tags[0].value, "Development");
    assert_string_equal(d.tags[1].key, "project");
    assert_string_equal(d.tags[1].value, "ManagedDisks");

    /* the inventory's disk reader now keeps managedBy and diskState too */
    fa_add((fa_answer){ 200, ex, NULL, NULL, NULL, false });
    inv_inventory *inv = inv_new();
    inv_disk *got;
    assert_int_equal(az_get_disk(c, DISK_ID, inv, &got, &err), 1);
    assert_string_equal(got->managed_by, d.managed_by);
    assert_null(got->disk_state);
    const char *reserved = "{\"name\":\"d1\",\"managedBy\":\"" VM_ID "\",\"zones\":[\"1\"],"
                           "\"tags\":{\"a\":\"\"},\"properties\":{\"diskState\":\"Reserved\"}}";
    fa_add((fa_answer){ 200, reserved, NULL, NULL, NULL, false });
    assert_int_equal(az_get_disk(c, DISK_ID, inv, &got, &err), 1);
    assert_string_equal(got->managed_by, VM_ID);
    assert_string_equal(got->disk_state, "Reserved");
    fa_add((fa_answer){ 200, "{\"name\":\"d2\",\"diskState\":\"Unattached\"}", NULL, NULL, NULL,
                       false });
    assert_int_equal(az_get_disk(c, DISK_ID, inv, &got, &err), 1);     /* az's flat form */
    assert_string_equal(got->disk_state, "Unattached");
    assert_null(got->managed_by);
    inv_free(inv);

    fa_add((fa_answer){ 200, reserved, NULL, NULL, NULL, false });
    assert_int_equal(az_get_disk_info(c, DISK_ID, &d, &err), 1);
    assert_string_equal(d.disk_state, "Reserved");
    assert_string_equal(d.managed_by, VM_ID);
    assert_string_equal(d.zone, "1");
    assert_int_equal(d.ntags, 1);
    assert_string_equal(d.tags[0].value, "");

    fa_add((fa_answer){ 404, "{}", NULL, NULL, NULL, false });
    assert_int_equal(az_get_disk_info(c, DISK_ID, &d, &err), 0);
    fa_add((fa_answer){ 200, "{\"name\":\"d\",\"tags\":{\"a\":1}}", NULL, NULL, NULL, false });
    assert_int_equal(az_get_disk_info(c, DISK_ID, &d, &err), -1);
    assert_non_null(strstr(err.message, "tags.a: expected a string"));

    /* ARM's 50 tags are all kept; more is an error, never a cut set */
    char many[8192];
    size_t n = (size_t)snprintf(many, sizeof many, "{\"name\":\"d\",\"tags\":{");
    for (int i = 0; i < 51; i++)
        n += (size_t)snprintf(many + n, sizeof many - n, "%s\"k%d\":\"v%d\"", i ? "," : "", i, i);
    snprintf(many + n, sizeof many - n, "}}");
    fa_add((fa_answer){ 200, many, NULL, NULL, NULL, false });
    assert_int_equal(az_get_disk_info(c, DISK_ID, &d, &err), -1);
    assert_non_null(strstr(err.message, "more than this reader keeps"));
    char *cut = strstr(many, ",\"k50\"");
    snprintf(cut, sizeof many - (size_t)(cut - many), "}}");
    fa_add((fa_answer){ 200, many, NULL, NULL, NULL, false });
    assert_int_equal(az_get_disk_info(c, DISK_ID, &d, &err), 1);
    assert_int_equal(d.ntags, 50);
    assert_string_equal(d.tags[49].key, "k49");
    free(ex);
    az_client_free(c);
}

/* The PATCH carries exactly the tag set given (ARM replaces the set). */
static void test_disk_set_tags(void **state)
{
    (void)state;
    az_client *c = fa_client(0);
    az_error err;
    inv_tag tags[] = { { "snapkeep-replaced-by", RG "/disks/new" },
                       { "snapkeep-replaced-at", "2026-11-26T12:00:00Z" },
                       { "empty", NULL } };
    fa_add((fa_answer){ 202, NULL, ARM "/op/t", ARM "/loc/t", "0", false });
    fa_add((fa_answer){ 200, "{\"status\":\"Succeeded\"}", NULL, NULL, NULL, false });
    assert_int_equal(az_disk_set_tags(c, DISK_ID, tags, 3, &err), 0);
    assert_int_equal(FA.nreq, 2);
    assert_string_equal(FA.reqs[0].method, "PATCH");
    assert_string_equal(FA.reqs[0].url, ARM DISK_ID DV);
    assert_non_null(strstr(FA.reqs[0].headers, "x-ms-client-request-id: "));
    cJSON *b = cJSON_Parse(FA.reqs[0].body);
    assert_non_null(b);
    assert_int_equal(cJSON_GetArraySize(b), 1);         /* nothing but "tags" */
    cJSON *t = cJSON_GetObjectItemCaseSensitive(b, "tags");
    assert_int_equal(cJSON_GetArraySize(t), 3);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(t, "snapkeep-replaced-by")->valuestring,
                        RG "/disks/new");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(t, "snapkeep-replaced-at")->valuestring,
                        "2026-11-26T12:00:00Z");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(t, "empty")->valuestring, "");
    cJSON_Delete(b);

    /* no tags: an empty set, which removes them all */
    fa_add((fa_answer){ 200, "{}", NULL, NULL, NULL, false });
    assert_int_equal(az_disk_set_tags(c, DISK_ID, NULL, 0, &err), 0);
    assert_string_equal(FA.reqs[2].body, "{\"tags\":{}}");

    /* refused before anything is sent */
    inv_tag twice[] = { { "a", "1" }, { "A", "2" } };
    assert_int_equal(az_disk_set_tags(c, DISK_ID, twice, 2, &err), -1);
    assert_string_equal(err.code, "InvalidOperation");
    inv_tag *lots = calloc(51, sizeof *lots);
    char keys[51][8];
    for (int i = 0; i < 51; i++) {
        snprintf(keys[i], sizeof keys[i], "k%d", i);
        lots[i] = (inv_tag){ keys[i], "v" };
    }
    assert_int_equal(az_disk_set_tags(c, DISK_ID, lots, 51, &err), -1);
    free(lots);
    assert_int_equal(FA.nreq, 3);

    /* a failed tag operation */
    fa_add((fa_answer){ 409, "{\"error\":{\"code\":\"ScopeLocked\",\"message\":\"locked\"}}",
                       NULL, NULL, NULL, false });
    assert_int_equal(az_disk_set_tags(c, DISK_ID, tags, 1, &err), -1);
    assert_string_equal(err.code, "ScopeLocked");
    az_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_vm_examples),
        cmocka_unit_test(test_get_vm_fields),
        cmocka_unit_test(test_urls_encoded),
        cmocka_unit_test(test_get_vm_404_and_unknown_power),
        cmocka_unit_test(test_get_vm_refuses_bad_fields),
        cmocka_unit_test(test_power_via_location),
        cmocka_unit_test(test_power_via_async_operation),
        cmocka_unit_test(test_power_failures),
        cmocka_unit_test(test_power_429_then_success),
        cmocka_unit_test(test_dropped_post_not_repeated),
        cmocka_unit_test(test_poll_faults_and_deadline),
        cmocka_unit_test(test_attach_detach_example),
        cmocka_unit_test(test_attach_conflicts),
        cmocka_unit_test(test_disk_info),
        cmocka_unit_test(test_disk_set_tags),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

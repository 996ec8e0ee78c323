/* Network interfaces, public IPs and DNS A record sets (azure/net.h) on
 * the scripted ARM: the official examples parsed, a public IP moved by a
 * PUT of everything ARM gave with only that change, the Network
 * long-running operation, If-Match with the etag read and a 412 named as
 * such, both DNS services' spellings and API versions. */
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
#include "azure/net.h"
#include "support/fake_arm.h"

#define ARM FA_ARM
#define NV "?api-version=2024-05-01"
#define NET "/subscriptions/subid/resourceGroups/rg1/providers/Microsoft.Network"
#define NIC_ID NET "/networkInterfaces/test-nic"
#define PIP_ID NET "/publicIPAddresses/test-ip"
#define REC_ID NET "/dnsZones/zone1/A/record1"
#define PREC_ID "/subscriptions/subscriptionId/resourceGroups/resourceGroup1/providers/" \
                "Microsoft.Network/privateDnsZones/privatezone1.com/A/recorda"

static bool has_header(const fa_req *r, const char *line)
{
    char want[256];
    snprintf(want, sizeof want, "%s\n", line);
    return strstr(r->headers, want) != NULL;
}

static bool header_named(const fa_req *r, const char *name)
{
    return strstr(r->headers, name) != NULL;
}

static cJSON *ipconfig_props(cJSON *nic, int i)
{
    return cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(
        cJSON_GetObjectItem(nic, "properties"), "ipConfigurations"), i), "properties");
}

static void test_nic_example(void **state)
{
    (void)state;
    az_client *c = fa_client(0);
    char *ex = fa_example_body("NetworkInterfaceGet.json", "200");
    fa_add((fa_answer){ 200, ex, NULL, NULL, NULL, false });
    az_nic nic;
    az_error err;
    assert_int_equal(az_get_nic(c, NIC_ID, &nic, &err), 1);
    assert_string_equal(FA.reqs[0].url, ARM NIC_ID NV);
    assert_string_equal(nic.id, NIC_ID);
    assert_string_equal(nic.name, "test-nic");
    assert_string_equal(nic.location, "eastus");
    assert_string_equal(nic.etag, "");
    assert_string_equal(nic.provisioning_state, "Succeeded");
    assert_string_equal(nic.vm_id, "/subscriptions/subid/resourceGroups/rg1/providers/"
                        "Microsoft.Compute/virtualMachines/vm1");
    assert_int_equal(nic.nipconfigs, 2);
    assert_int_equal(nic.primary_ipconfig, 0);
    assert_string_equal(nic.ipconfigs[0].name, "ipconfig1");
    assert_true(nic.ipconfigs[0].primary);
    assert_string_equal(nic.ipconfigs[0].private_ip, "172.20.2.4");
    assert_string_equal(nic.ipconfigs[0].public_ip_id, PIP_ID);
    assert_string_equal(nic.ipconfigs[1].name, "ipconfig2");
    assert_false(nic.ipconfigs[1].primary);
    assert_string_equal(nic.ipconfigs[1].public_ip_id, "");
    assert_non_null(nic.json);
    az_nic_free(&nic);
    assert_null(nic.json);

    fa_add((fa_answer){ 404, "{}", NULL, NULL, NULL, false });
    assert_int_equal(az_get_nic(c, NIC_ID, &nic, &err), 0);
    fa_add((fa_answer){ 200, "{\"properties\":{\"ipConfigurations\":{}}}", NULL, NULL, NULL,
                        false });
    assert_int_equal(az_get_nic(c, NIC_ID, &nic, &err), -1);
    assert_non_null(strstr(err.message, NIC_ID ": properties.ipConfigurations: expected"));
    assert_null(nic.json);
    free(ex);
    az_client_free(c);
}

/* Removing the public IP: the PUT carries the GET's whole body with that
 * one member gone; Azure-AsyncOperation is followed, then the NIC read. */
static void test_nic_remove_public_ip(void **state)
{
    (void)state;
    az_client *c = fa_client(0);
    char *ex = fa_example_body("NetworkInterfaceGet.json", "200");
    /* the same NIC as ARM shows it, plus an etag */
    cJSON *withtag = cJSON_Parse(ex);
    cJSON_AddStringToObject(withtag, "etag", "W/\"00000000-0000-0000-0000-00000000000a\"");
    char *got = cJSON_PrintUnformatted(withtag);
    cJSON *after = cJSON_Duplicate(withtag, true);
    cJSON_DeleteItemFromObject(ipconfig_props(after, 0), "publicIPAddress");
    cJSON_ReplaceItemInObject(after, "etag",
                              cJSON_CreateString("W/\"00000000-0000-0000-0000-00000000000b\""));
    char *final = cJSON_PrintUnformatted(after);
    const char *aop = ARM "/subscriptions/subid/providers/Microsoft.Network/locations/eastus/"
                      "operations/op1?api-version=2024-05-01";
    fa_add((fa_answer){ 200, got, NULL, NULL, NULL, false });
    fa_add((fa_answer){ 200, got, aop, NULL, "10", false });
    fa_add((fa_answer){ 200, "{\"status\":\"InProgress\"}", NULL, NULL, "10", false });
    fa_add((fa_answer){ 200, "{\"status\":\"Succeeded\"}", NULL, NULL, NULL, false });
    fa_add((fa_answer){ 200, final, NULL, NULL, NULL, false });

    az_nic nic;
    az_error err;
    assert_int_equal(az_get_nic(c, NIC_ID, &nic, &err), 1);
    assert_int_equal(az_nic_set_public_ip(&nic, NULL, NULL, &err), 0);
    assert_string_equal(nic.ipconfigs[0].public_ip_id, "");
    assert_int_equal(FA.nreq, 1);                   /* nothing sent yet */
    assert_int_equal(az_put_nic(c, &nic, &err), 0);
    assert_int_equal(FA.nreq, 5);
    assert_string_equal(FA.reqs[1].method, "PUT");
    assert_string_equal(FA.reqs[1].url, ARM NIC_ID NV);
    assert_true(has_header(&FA.reqs[1], "If-Match: W/\"00000000-0000-0000-0000-00000000000a\""));
    assert_string_equal(FA.reqs[2].url, aop);
    assert_string_equal(FA.reqs[3].url, aop);
    assert_string_equal(FA.reqs[4].method, "GET");
    assert_string_equal(FA.reqs[4].url, ARM NIC_ID NV);
    assert_true(FA.now_ms >= 20000);

    /* everything ARM gave goes back, with only publicIPAddress removed */
    cJSON *sent = cJSON_Parse(FA.reqs[1].body);
    cJSON *want = cJSON_Duplicate(withtag, true);
    cJSON_DeleteItemFromObject(ipconfig_props(want, 0), "publicIPAddress");
    assert_true(cJSON_Compare(sent, want, true));
    assert_false(cJSON_Compare(sent, withtag, true));
    cJSON_Delete(sent);
    cJSON_Delete(want);
    /* the NIC now is what ARM read back */
    assert_string_equal(nic.etag, "W/\"00000000-0000-0000-0000-00000000000b\"");
    assert_string_equal(nic.ipconfigs[0].public_ip_id, "");
    az_nic_free(&nic);
    free(ex);
    free(got);
    free(final);
    cJSON_Delete(withtag);
    cJSON_Delete(after);
    az_client_free(c);
}

/* Adding one to a named configuration, without an etag (no If-Match),
 * answered at once with the NIC. */
static void test_nic_add_public_ip(void **state)
{
    (void)state;
    az_client *c = fa_client(0);
    char *ex = fa_example_body("NetworkInterfaceGet.json", "200");
    fa_add((fa_answer){ 200, ex, NULL, NULL, NULL, false });
    az_nic nic;
    az_error err;
    assert_int_equal(az_get_nic(c, NIC_ID, &nic, &err), 1);
    assert_int_equal(az_nic_set_public_ip(&nic, "ipconfig9", NET "/publicIPAddresses/p2", &err),
                     -1);
    assert_string_equal(err.code, "InvalidOperation");
    assert_int_equal(az_nic_set_public_ip(&nic, "IPCONFIG2", NET "/publicIPAddresses/p2", &err),
                     0);
    assert_string_equal(nic.ipconfigs[1].public_ip_id, NET "/publicIPAddresses/p2");
    char *put = cJSON_PrintUnformatted(nic.json);
    fa_add((fa_answer){ 200, put, NULL, NULL, NULL, false });
    assert_int_equal(az_put_nic(c, &nic, &err), 0);
    assert_int_equal(FA.nreq, 2);
    assert_false(header_named(&FA.reqs[1], "If-Match"));
    cJSON *sent = cJSON_Parse(FA.reqs[1].body);
    cJSON *p = ipconfig_props(sent, 1);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(p, "publicIPAddress"), "id")
                        ->valuestring, NET "/publicIPAddresses/p2");
    /* the primary's own is untouched */
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(ipconfig_props(sent, 0),
                        "publicIPAddress"), "id")->valuestring, PIP_ID);
    cJSON_Delete(sent);
    assert_string_equal(nic.ipconfigs[1].public_ip_id, NET "/publicIPAddresses/p2");
    az_nic_free(&nic);
    free(put);
    free(ex);
    az_client_free(c);
}

static void test_nic_put_failures(void **state)
{
    (void)state;
    az_client *c = fa_client(0);
    const char *body = "{\"id\":\"" NIC_ID "\",\"name\":\"test-nic\",\"etag\":\"W/\\\"1\\\"\","
                       "\"properties\":{\"ipConfigurations\":[{\"name\":\"ipconfig1\","
                       "\"properties\":{\"primary\":true}}]}}";
    az_nic nic;
    az_error err;
    /* the primary configuration need not come first */
    fa_add((fa_answer){ 200, "{\"name\":\"n\",\"properties\":{\"ipConfigurations\":["
                        "{\"name\":\"a\"},{\"name\":\"b\",\"properties\":{\"primary\":true}}]}}",
                        NULL, NULL, NULL, false });
    assert_int_equal(az_get_nic(c, NIC_ID, &nic, &err), 1);
    assert_int_equal(nic.primary_ipconfig, 1);
    assert_int_equal(az_nic_set_public_ip(&nic, NULL, PIP_ID, &err), 0);
    assert_string_equal(nic.ipconfigs[1].public_ip_id, PIP_ID);
    assert_string_equal(nic.ipconfigs[0].public_ip_id, "");
    az_nic_free(&nic);

    fa_add((fa_answer){ 200, body, NULL, NULL, NULL, false });
    assert_int_equal(az_get_nic(c, NIC_ID, &nic, &err), 1);

    /* changed by someone since it was read */
    fa_add((fa_answer){ 412, "{\"error\":{\"code\":\"PreconditionFailed\",\"message\":\"etag\"}}",
                        NULL, NULL, NULL, false });
    assert_int_equal(az_put_nic(c, &nic, &err), -1);
    assert_string_equal(err.code, AZ_ERR_PRECONDITION);
    assert_int_equal(err.http_status, 412);
    assert_non_null(strstr(err.message, NIC_ID " changed since it was read"));

    /* the operation fails */
    fa_add((fa_answer){ 200, body, ARM "/op/n1", NULL, "0", false });
    fa_add((fa_answer){ 200, "{\"status\":\"Failed\",\"error\":{\"code\":"
                        "\"PublicIPAddressInUse\",\"message\":\"in use by ipconfig1\"}}",
                        NULL, NULL, NULL, false });
    assert_int_equal(az_put_nic(c, &nic, &err), -1);
    assert_string_equal(err.code, "PublicIPAddressInUse");
    assert_string_equal(err.message, "in use by ipconfig1");

    /* a PUT that may have landed is not sent again */
    size_t before = FA.nreq;
    fa_add((fa_answer){ 0, NULL, NULL, NULL, NULL, false });
    assert_int_equal(az_put_nic(c, &nic, &err), -1);
    assert_true(err.ambiguous);
    assert_int_equal(FA.nreq, before + 1);
    az_nic_free(&nic);
    az_client_free(c);
}

static void test_public_ip_example(void **state)
{
    (void)state;
    az_client *c = fa_client(0);
    char *ex = fa_example_body("PublicIpAddressGet.json", "200");
    fa_add((fa_answer){ 200, ex, NULL, NULL, NULL, false });
    az_public_ip ip;
    az_error err;
    assert_int_equal(az_get_public_ip(c, NET "/publicIPAddresses/testDNS-ip", &ip, &err), 1);
    assert_string_equal(FA.reqs[0].url, ARM NET "/publicIPAddresses/testDNS-ip" NV);
    assert_string_equal(ip.name, "testDNS-ip");
    assert_string_equal(ip.location, "westus");
    assert_string_equal(ip.ip_address, "");         /* Dynamic, not allocated */
    assert_string_equal(ip.ipconfig_id, NET "/networkInterfaces/testDNS649/ipConfigurations/"
                        "ipconfig1");
    fa_add((fa_answer){ 200, "{\"name\":\"p\",\"properties\":{\"ipAddress\":\"20.1.2.3\"}}",
                        NULL, NULL, NULL, false });
    assert_int_equal(az_get_public_ip(c, PIP_ID, &ip, &err), 1);
    assert_string_equal(ip.ip_address, "20.1.2.3");
    assert_string_equal(ip.ipconfig_id, "");        /* free */
    fa_add((fa_answer){ 404, "{}", NULL, NULL, NULL, false });
    assert_int_equal(az_get_public_ip(c, PIP_ID, &ip, &err), 0);
    fa_add((fa_answer){ 200, "{\"properties\":{\"ipAddress\":7}}", NULL, NULL, NULL, false });
    assert_int_equal(az_get_public_ip(c, PIP_ID, &ip, &err), -1);
    assert_non_null(strstr(err.message, "properties.ipAddress: expected a string"));
    free(ex);
    az_client_free(c);
}

static void test_dns_ids(void **state)
{
    (void)state;
    char buf[512];
    assert_int_equal(az_dns_a_id(buf, sizeof buf, "subid", "rg1", AZ_DNS_PUBLIC, "zone1",
                                 "record1"), 0);
    assert_string_equal(buf, REC_ID);
    assert_int_equal(az_dns_a_id(buf, sizeof buf, "s", "my rg", AZ_DNS_PRIVATE,
                                 "privatezone1.com", "db 1"), 0);
    assert_string_equal(buf, "/subscriptions/s/resourceGroups/my%20rg/providers/"
                        "Microsoft.Network/privateDnsZones/privatezone1.com/A/db%201");
    assert_int_equal(az_dns_a_id(buf, sizeof buf, "s", "rg", AZ_DNS_PUBLIC, "", "n"), -1);
    assert_int_equal(az_dns_a_id(buf, 30, "s", "rg", AZ_DNS_PUBLIC, "z", "n"), -1);
    assert_int_equal(az_dns_kind_of(REC_ID), AZ_DNS_PUBLIC);
    assert_int_equal(az_dns_kind_of(PREC_ID), AZ_DNS_PRIVATE);
    assert_int_equal(az_dns_kind_of("/subscriptions/s/providers/microsoft.network/"
                                    "PRIVATEDNSZONES/z/A/n"), AZ_DNS_PRIVATE);
    assert_int_equal(az_dns_kind_of(NIC_ID), -1);
}

/* Azure DNS: "TTL"/"ARecords", api-version 2018-05-01; the PUT sends the
 * whole record set (metadata kept) with If-Match: its etag. */
static void test_dns_public_update(void **state)
{
    (void)state;
    az_client *c = fa_client(0);
    char *ex = fa_example_body("GetARecordset.json", "200");
    char *put_ex = fa_example_body("CreateOrUpdateARecordset.json", "200");
    cJSON *put = cJSON_Parse(put_ex);
    free(put_ex);
    /* ARM's answer: the new address and a new etag */
    cJSON *props = cJSON_GetObjectItem(put, "properties");
    cJSON_ReplaceItemInObject(props, "ARecords", cJSON_Parse("[{\"ipv4Address\":\"10.0.0.5\"}]"));
    cJSON_ReplaceItemInObject(put, "etag", cJSON_CreateString("11111111-0000-0000-0000-0"));
    char *answer = cJSON_PrintUnformatted(put);
    fa_add((fa_answer){ 200, ex, NULL, NULL, NULL, false });
    fa_add((fa_answer){ 200, answer, NULL, NULL, NULL, false });
    az_dns_a rec;
    az_error err;
    assert_int_equal(az_get_dns_a(c, REC_ID, &rec, &err), 1);
    assert_string_equal(FA.reqs[0].url, ARM REC_ID "?api-version=2018-05-01");
    assert_int_equal(rec.kind, AZ_DNS_PUBLIC);
    assert_string_equal(rec.etag, "00000000-0000-0000-0000-000000000000");
    assert_string_equal(rec.fqdn, "record1.zone1");
    assert_int_equal(rec.ttl, 3600);
    assert_int_equal(rec.nips, 1);
    assert_string_equal(rec.ips[0], "127.0.0.1");

    const char *ips[] = { "10.0.0.5" };
    assert_int_equal(az_dns_a_set_ips(&rec, ips, 1, &err), 0);
    assert_int_equal(az_put_dns_a(c, &rec, &err), 0);
    assert_int_equal(FA.nreq, 2);
    assert_string_equal(FA.reqs[1].method, "PUT");
    assert_string_equal(FA.reqs[1].url, ARM REC_ID "?api-version=2018-05-01");
    assert_true(has_header(&FA.reqs[1], "If-Match: 00000000-0000-0000-0000-000000000000"));
    cJSON *sent = cJSON_Parse(FA.reqs[1].body);
    cJSON *want = cJSON_Parse(ex);
    cJSON_ReplaceItemInObject(cJSON_GetObjectItem(want, "properties"), "ARecords",
                              cJSON_Parse("[{\"ipv4Address\":\"10.0.0.5\"}]"));
    assert_true(cJSON_Compare(sent, want, true));
    /* ARM's own spelling went back, not a second array */
    assert_null(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItem(sent, "properties"),
                                                 "aRecords"));
    cJSON_Delete(sent);
    cJSON_Delete(want);
    assert_string_equal(rec.etag, "11111111-0000-0000-0000-0");
    assert_string_equal(rec.ips[0], "10.0.0.5");
    az_dns_a_free(&rec);

    /* refused before anything is sent */
    assert_int_equal(az_get_dns_a(c, NIC_ID, &rec, &err), -1);
    assert_string_equal(err.code, "InvalidOperation");
    /* a record set read without an etag is never PUT (nothing to guard
     * it); one spelled the other way keeps its spelling */
    fa_add((fa_answer){ 200, "{\"name\":\"record1\",\"properties\":{\"aRecords\":[]}}",
                        NULL, NULL, NULL, false });
    az_dns_a none;
    assert_int_equal(az_get_dns_a(c, REC_ID, &none, &err), 1);
    assert_int_equal(az_dns_a_set_ips(&none, ips, 1, &err), 0);
    char *text = cJSON_PrintUnformatted(none.json);
    assert_string_equal(text, "{\"name\":\"record1\",\"properties\":{\"aRecords\":"
                        "[{\"ipv4Address\":\"10.0.0.5\"}]}}");
    free(text);
    assert_int_equal(az_put_dns_a(c, &none, &err), -1);
    assert_string_equal(err.code, "InvalidOperation");
    assert_non_null(strstr(err.message, "no etag"));
    const char *bad[] = { "10.0.0.256" };
    assert_int_equal(az_dns_a_set_ips(&none, bad, 1, &err), -1);
    const char *v6[] = { "::1" };
    assert_int_equal(az_dns_a_set_ips(&none, v6, 1, &err), -1);
    assert_int_equal(FA.nreq, 3);
    az_dns_a_free(&none);
    cJSON_Delete(put);
    free(answer);
    free(ex);
    az_client_free(c);
}

/* Private DNS: "ttl"/"aRecords", api-version 2024-06-01; a 412 when the
 * record changed; a 201 read back; a long-running answer followed. */
static void test_dns_private(void **state)
{
    (void)state;
    az_client *c = fa_client(0);
    char *ex = fa_example_body("RecordSetAGet.json", "200");
    char *created = fa_example_body("RecordSetAPut.json", "201");
    const char *pv = "?api-version=2024-06-01";
    char url[1024];
    snprintf(url, sizeof url, "%s%s%s", ARM, PREC_ID, pv);
    fa_add((fa_answer){ 200, ex, NULL, NULL, NULL, false });
    az_dns_a rec;
    az_error err;
    assert_int_equal(az_get_dns_a(c, PREC_ID, &rec, &err), 1);
    assert_string_equal(FA.reqs[0].url, url);
    assert_int_equal(rec.kind, AZ_DNS_PRIVATE);
    assert_int_equal(rec.ttl, 3600);
    assert_string_equal(rec.ips[0], "1.2.3.4");
    assert_string_equal(rec.fqdn, "recorda.privatezone1.com.");

    const char *ips[] = { "10.1.0.4", "10.1.0.5" };
    assert_int_equal(az_dns_a_set_ips(&rec, ips, 2, &err), 0);
    fa_add((fa_answer){ 412, "{\"error\":{\"code\":\"PreconditionFailed\",\"message\":\"The "
                        "condition in the If-Match header was not satisfied.\"}}", NULL, NULL,
                        NULL, false });
    assert_int_equal(az_put_dns_a(c, &rec, &err), -1);
    assert_string_equal(err.code, AZ_ERR_PRECONDITION);
    assert_int_equal(err.http_status, 412);
    assert_non_null(strstr(err.message, "changed since it was read"));
    assert_non_null(strstr(err.message, "If-Match header was not satisfied"));
    assert_int_equal(FA.nreq, 2);           /* never retried */
    assert_string_equal(FA.reqs[1].url, url);
    cJSON *sent = cJSON_Parse(FA.reqs[1].body);
    cJSON *a = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItem(sent, "properties"),
                                                "aRecords");
    assert_int_equal(cJSON_GetArraySize(a), 2);
    assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(a, 1), "ipv4Address")
                        ->valuestring, "10.1.0.5");
    cJSON_Delete(sent);

    /* 201: created; the record set is read back */
    fa_add((fa_answer){ 201, created, NULL, NULL, NULL, false });
    fa_add((fa_answer){ 200, created, NULL, NULL, NULL, false });
    assert_int_equal(az_put_dns_a(c, &rec, &err), 0);
    assert_int_equal(FA.nreq, 4);
    assert_string_equal(FA.reqs[3].method, "GET");
    /* 202 with Azure-AsyncOperation: followed, then read */
    fa_add((fa_answer){ 202, NULL, ARM "/op/dns", NULL, "3", false });
    fa_add((fa_answer){ 200, "{\"status\":\"Succeeded\"}", NULL, NULL, NULL, false });
    fa_add((fa_answer){ 200, created, NULL, NULL, NULL, false });
    assert_int_equal(az_put_dns_a(c, &rec, &err), 0);
    assert_int_equal(FA.nreq, 7);
    assert_string_equal(FA.reqs[5].url, ARM "/op/dns");
    assert_string_equal(rec.ips[0], "1.2.3.4");     /* what ARM holds now */
    az_dns_a_free(&rec);
    free(ex);
    free(created);
    az_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nic_example),
        cmocka_unit_test(test_nic_remove_public_ip),
        cmocka_unit_test(test_nic_add_public_ip),
        cmocka_unit_test(test_nic_put_failures),
        cmocka_unit_test(test_public_ip_example),
        cmocka_unit_test(test_dns_ids),
        cmocka_unit_test(test_dns_public_update),
        cmocka_unit_test(test_dns_private),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

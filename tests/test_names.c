/* engine/names.c: the resource names run and drill make. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "engine/names.h"

static void test_stamp(void **state)
{
    (void)state;
    char buf[32];
    sk_time t;
    assert_int_equal(eng_time_parse("2026-11-26T12:34:56.999Z", 24, &t), 0);
    assert_int_equal(eng_name_stamp(t, buf, sizeof buf), 16);
    assert_string_equal(buf, "20261126T123456Z");
    assert_int_equal(eng_name_stamp(-1, buf, sizeof buf), -1);     /* before 1970 */
    assert_int_equal(eng_name_stamp(t, buf, 16), -1);              /* no room for NUL */
}

static void test_resource_name(void **state)
{
    (void)state;
    char buf[ENG_NAME_MAX + 1], longname[200];
    static const struct { const char *base, *fallback, *suffix, *want; } cases[] = {
        { "dss-data", "snapshot", "-s", "dss-data-s" },
        { "a b/c", "snapshot", "-s", "a-b-c-s" },            /* refused characters */
        { "", "snapshot", "-s", "snapshot-s" },              /* empty base */
        { NULL, "disk", "-s", "disk-s" },
        { "-x", "snapshot", "-s", "sx-s" },                  /* must start alnum */
        { "_x", "disk", "-s", "dx-s" },
        { ".x", "disk", "-s", "dx-s" },
        { "Data_1.x", "disk", "", "Data_1.x" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int n = eng_resource_name(cases[i].base, cases[i].fallback, cases[i].suffix,
                                  buf, sizeof buf);
        assert_int_equal(n, (int)strlen(cases[i].want));
        assert_string_equal(buf, cases[i].want);
    }
    memset(longname, 'd', sizeof longname - 1);
    longname[sizeof longname - 1] = '\0';
    assert_int_equal(eng_resource_name(longname, "disk", "-tail", buf, sizeof buf), ENG_NAME_MAX);
    assert_string_equal(buf + ENG_NAME_MAX - 5, "-tail");
    memset(longname, 's', ENG_NAME_MAX);
    longname[ENG_NAME_MAX] = '\0';
    assert_int_equal(eng_resource_name("x", "disk", longname, buf, sizeof buf), -1);
    assert_int_equal(eng_resource_name("x", "disk", "-s", buf, ENG_NAME_MAX), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_stamp),
        cmocka_unit_test(test_resource_name),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

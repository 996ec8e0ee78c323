/* Time zones from TZif bytes (RFC 8536). Every count and index is checked
 * against the data before use: the bytes may come from anywhere. */
#include "engine/tz.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/calendar.h"
#include "engine/tz_posix.h"

struct eng_tz {
    char *name;
    int64_t *at;            /* transitions, UTC seconds, strictly increasing */
    int32_t *off;           /* offset in force from at[i] on */
    bool *dst;
    size_t n, cap;
    int32_t off0;           /* before the first transition */
    bool dst0;
    bool has_rule;          /* footer rule for instants after at[n-1] */
    tz_posix rule;
    int32_t max_shift;
};

/* RFC 8536 bounds on UT offsets: -24:59:59 .. +25:59:59. */
#define TZ_OFF_MIN (-89999)
#define TZ_OFF_MAX 93599
/* Footer transitions are precomputed into the table up to this year, so
 * eng_tz_offset stays a binary search for any date anyone will use. */
#define TZ_EXTEND_YEAR 2200
#define TZ_EXTEND_FROM_YEAR 1800
/* DST shifts before this instant (2000-01-01) do not count towards
 * eng_tz_max_shift: `check` bounds day lengths for a `now` that is today or
 * later, not for Lord Howe's 1981 rules. */
#define TZ_SHIFT_SINCE INT64_C(946684800)

static void set_err(char *err, size_t n, const char *msg)
{
    if (err && n)
        snprintf(err, n, "%s", msg);
}

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p)
        memcpy(p, s, n);
    return p;
}

static eng_tz *tz_new(const char *name)
{
    eng_tz *tz = calloc(1, sizeof *tz);
    if (!tz)
        return NULL;
    tz->name = dup_str(name ? name : "");
    if (!tz->name) {
        free(tz);
        return NULL;
    }
    return tz;
}

void eng_tz_free(eng_tz *tz)
{
    if (!tz)
        return;
    free(tz->name);
    free(tz->at);
    free(tz->off);
    free(tz->dst);
    free(tz);
}

eng_tz *eng_tz_utc(void)
{
    return tz_new("UTC");
}

const char *eng_tz_name(const eng_tz *tz)
{
    return tz->name;
}

static bool tz_reserve(eng_tz *tz, size_t need)
{
    if (need <= tz->cap)
        return true;
    size_t cap = tz->cap ? tz->cap : 16;
    while (cap < need)
        cap *= 2;
    int64_t *at = realloc(tz->at, cap * sizeof *at);
    if (at)
        tz->at = at;
    int32_t *off = realloc(tz->off, cap * sizeof *off);
    if (off)
        tz->off = off;
    bool *dst = realloc(tz->dst, cap * sizeof *dst);
    if (dst)
        tz->dst = dst;
    if (!at || !off || !dst)
        return false;
    tz->cap = cap;
    return true;
}

/* ---- lookups ---------------------------------------------------------- */

/* Index of the last transition <= t; the caller knows at[0] <= t. */
static size_t find(const eng_tz *tz, int64_t t)
{
    size_t lo = 0, hi = tz->n;
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (tz->at[mid] <= t)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

static bool in_footer(const eng_tz *tz, int64_t t)
{
    return tz->has_rule && (tz->n == 0 || t >= tz->at[tz->n - 1]);
}

int32_t eng_tz_offset(const eng_tz *tz, int64_t utc_seconds)
{
    if (in_footer(tz, utc_seconds)) {
        tz_period p;
        tz_posix_period(&tz->rule, utc_seconds, &p);
        return p.off;
    }
    if (tz->n == 0 || utc_seconds < tz->at[0])
        return tz->off0;
    return tz->off[find(tz, utc_seconds)];
}

static void period_at(const eng_tz *tz, int64_t t, tz_period *p)
{
    if (in_footer(tz, t)) {
        tz_posix_period(&tz->rule, t, p);
        if (tz->n && p->start < tz->at[tz->n - 1])
            p->start = tz->at[tz->n - 1];
        return;
    }
    if (tz->n == 0 || t < tz->at[0]) {
        *p = (tz_period){ tz->off0, tz->dst0, INT64_MIN, tz->n ? tz->at[0] : INT64_MAX };
        return;
    }
    size_t i = find(tz, t);
    *p = (tz_period){ tz->off[i], tz->dst[i], tz->at[i],
                      i + 1 < tz->n ? tz->at[i + 1] : INT64_MAX };
}

#define TZ_LOCAL_LIMIT (INT64_C(1) << 61)

int64_t eng_tz_local_to_utc(const eng_tz *tz, int64_t local)
{
    tz_period p;

    if (local > TZ_LOCAL_LIMIT)
        local = TZ_LOCAL_LIMIT;
    if (local < -TZ_LOCAL_LIMIT)
        local = -TZ_LOCAL_LIMIT;
    /* Every solution u of u + offset(u) == local lies within the offset
     * bounds of local; walk the periods there in order, so the first
     * match is the earlier of two. */
    int64_t t = local - TZ_OFF_MAX - 1;
    for (;;) {
        period_at(tz, t, &p);
        int64_t cand = local - p.off;
        if (cand >= p.start && cand < p.end)
            return cand;
        /* The first period can never start after cand (t is below every
         * reading); a later one that does means local time jumped over
         * `local` at p.start: a gap. Read it with the offset in force
         * after the gap, which gives the earliest instant it can mean
         * (02:30 on New York's spring-forward night is 06:30Z = 01:30
         * EST), so a window ending there is never shorter than written;
         * Go's AddDate, and so restic, does the same. */
        if (cand < p.start)
            return cand;
        if (p.end == INT64_MAX || p.end <= t)
            break;
        t = p.end;
    }
    /* Unreachable with offsets inside TZ_OFF_MIN..TZ_OFF_MAX. */
    return local - eng_tz_offset(tz, local);
}

int32_t eng_tz_max_shift(const eng_tz *tz)
{
    return tz->max_shift;
}

/* ---- TZif ------------------------------------------------------------- */

typedef struct tzif_hdr {
    char version;
    uint32_t isutcnt, isstdcnt, leapcnt, timecnt, typecnt, charcnt;
} tzif_hdr;

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
    return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

static const char *read_hdr(const unsigned char *d, size_t len, size_t pos, tzif_hdr *h)
{
    if (pos > len || (len - pos >= 4 && memcmp(d + pos, "TZif", 4) != 0))
        return "not TZif data (bad magic)";
    if (len - pos < 44)
        return "truncated TZif header";
    h->version = (char)d[pos + 4];
    if (h->version != 0 && h->version < '2')
        return "unknown TZif version";
    h->isutcnt = be32(d + pos + 20);
    h->isstdcnt = be32(d + pos + 24);
    h->leapcnt = be32(d + pos + 28);
    h->timecnt = be32(d + pos + 32);
    h->typecnt = be32(d + pos + 36);
    h->charcnt = be32(d + pos + 40);
    if (h->typecnt == 0 || h->typecnt > 256 || h->charcnt == 0)
        return "invalid TZif counts";
    if ((h->isutcnt && h->isutcnt != h->typecnt) || (h->isstdcnt && h->isstdcnt != h->typecnt))
        return "invalid TZif counts";
    if (h->leapcnt)
        return "TZif data with leap seconds (right/ zones) is not supported";
    return NULL;
}

/* Bytes of the data block after a header; counts are < 2^32, so 64-bit
 * arithmetic cannot overflow. */
static uint64_t block_len(const tzif_hdr *h, unsigned tsize)
{
    return (uint64_t)h->timecnt * (tsize + 1) + (uint64_t)h->typecnt * 6 + h->charcnt +
           (uint64_t)h->leapcnt * (tsize + 4) + h->isstdcnt + h->isutcnt;
}

static const char *read_types(const unsigned char *p, const tzif_hdr *h,
                              int32_t *toff, bool *tdst)
{
    for (uint32_t i = 0; i < h->typecnt; i++, p += 6) {
        int32_t o = (int32_t)be32(p);
        if (o < TZ_OFF_MIN || o > TZ_OFF_MAX)
            return "TZif UT offset out of range";
        if (p[4] > 1)
            return "invalid TZif isdst flag";
        if (p[5] >= h->charcnt)
            return "TZif abbreviation index out of range";
        toff[i] = o;
        tdst[i] = p[4];
    }
    return NULL;
}

/* Reads the transitions and types of one data block into tz. */
static const char *read_block(eng_tz *tz, const unsigned char *p, const tzif_hdr *h,
                              unsigned tsize)
{
    int32_t toff[256];
    bool tdst[256];
    const unsigned char *idx = p + (size_t)h->timecnt * tsize;
    const char *e = read_types(idx + h->timecnt, h, toff, tdst);
    if (e)
        return e;
    if (!tz_reserve(tz, h->timecnt))
        return "out of memory";
    for (uint32_t i = 0; i < h->timecnt; i++) {
        int64_t at = tsize == 8 ? be64(p + (size_t)i * 8) : (int32_t)be32(p + (size_t)i * 4);
        if (i > 0 && at <= tz->at[i - 1])
            return "TZif transitions out of order";
        if (idx[i] >= h->typecnt)
            return "TZif type index out of range";
        tz->at[i] = at;
        tz->off[i] = toff[idx[i]];
        tz->dst[i] = tdst[idx[i]];
    }
    tz->n = h->timecnt;
    tz->off0 = toff[0];
    tz->dst0 = tdst[0];
    return NULL;
}

/* The footer: "\n" TZ-string "\n" right after the v2+ data block. */
static const char *read_footer(eng_tz *tz, const unsigned char *d, size_t len, size_t pos)
{
    if (pos >= len || d[pos] != '\n')
        return "missing TZif footer";
    const unsigned char *s = d + pos + 1;
    const unsigned char *nl = memchr(s, '\n', len - pos - 1);
    if (!nl)
        return "truncated TZif footer";
    if (nl == s)
        return NULL;        /* empty: the last type applies forever */
    if (tz_posix_parse((const char *)s, (size_t)(nl - s), &tz->rule) != 0)
        return "invalid TZ string in TZif footer";
    if (tz->rule.std_off < TZ_OFF_MIN || tz->rule.std_off > TZ_OFF_MAX ||
        tz->rule.dst_off < TZ_OFF_MIN || tz->rule.dst_off > TZ_OFF_MAX)
        return "TZ string offset out of range";
    tz->has_rule = true;
    return NULL;
}

static const char *parse_tzif(eng_tz *tz, const unsigned char *d, size_t len)
{
    tzif_hdr h;
    const char *e = read_hdr(d, len, 0, &h);
    if (e)
        return e;
    size_t pos = 44;
    if (block_len(&h, 4) > len - pos)
        return "truncated TZif data";
    if (h.version == 0)
        return read_block(tz, d + pos, &h, 4);
    /* v2+: skip the 32-bit block, use the 64-bit one and the footer. */
    pos += (size_t)block_len(&h, 4);
    if ((e = read_hdr(d, len, pos, &h)) != NULL)
        return e;
    pos += 44;
    if (block_len(&h, 8) > len - pos)
        return "truncated TZif data";
    if ((e = read_block(tz, d + pos, &h, 8)) != NULL)
        return e;
    return read_footer(tz, d, len, pos + (size_t)block_len(&h, 8));
}

static int32_t abs32(int32_t x)
{
    return x < 0 ? -x : x;
}

static void compute_max_shift(eng_tz *tz)
{
    int32_t best = 0, prev_off = tz->off0;
    bool prev_dst = tz->dst0;
    for (size_t i = 0; i < tz->n; i++) {
        if (tz->at[i] >= TZ_SHIFT_SINCE && tz->dst[i] != prev_dst &&
            abs32(tz->off[i] - prev_off) > best)
            best = abs32(tz->off[i] - prev_off);
        prev_off = tz->off[i];
        prev_dst = tz->dst[i];
    }
    if (tz->has_rule && tz->rule.has_dst && abs32(tz->rule.dst_off - tz->rule.std_off) > best)
        best = abs32(tz->rule.dst_off - tz->rule.std_off);
    tz->max_shift = best;
}

/* Precomputes the footer's transitions into the table up to
 * TZ_EXTEND_YEAR, so lookups there are a binary search too. */
static bool extend(eng_tz *tz)
{
    int64_t limit = eng_days_from_civil(TZ_EXTEND_YEAR, 1, 1) * 86400;
    /* A table ending long ago (a crafted file, say) would take billions of
     * steps: leave it to the rule, computed per lookup. */
    if (!tz->has_rule || !tz->rule.has_dst || tz->n == 0 ||
        tz->at[tz->n - 1] < eng_days_from_civil(TZ_EXTEND_FROM_YEAR, 1, 1) * 86400)
        return true;
    int64_t t = tz->at[tz->n - 1];
    tz_period p;
    while (t < limit) {
        tz_posix_period(&tz->rule, t, &p);
        if (p.end == INT64_MAX || p.end <= t)
            break;
        t = p.end;
        tz_posix_period(&tz->rule, t, &p);
        if (p.off == tz->off[tz->n - 1] && p.dst == tz->dst[tz->n - 1])
            continue;
        if (!tz_reserve(tz, tz->n + 1))
            return false;
        tz->at[tz->n] = t;
        tz->off[tz->n] = p.off;
        tz->dst[tz->n] = p.dst;
        tz->n++;
    }
    return true;
}

eng_tz *eng_tz_parse(const char *name, const unsigned char *data, size_t len,
                     char *err, size_t errlen)
{
    eng_tz *tz = tz_new(name);
    if (!tz) {
        set_err(err, errlen, "out of memory");
        return NULL;
    }
    const char *e = data ? parse_tzif(tz, data, len) : "no TZif data";
    if (!e) {
        compute_max_shift(tz);
        if (!extend(tz))
            e = "out of memory";
    }
    if (e) {
        set_err(err, errlen, e);
        eng_tz_free(tz);
        return NULL;
    }
    return tz;
}

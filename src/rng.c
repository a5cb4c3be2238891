/* xoshiro256** with splitmix64 seeding; see rng.h. Not cryptographic. */
#include "gan/rng.h"

#include <math.h>
#include <string.h>

static uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

void rng_seed(rng_t *r, uint64_t seed, uint64_t stream)
{
    /* Mixing the stream through splitmix first keeps (seed, stream) and
     * (seed+1, stream) far apart. */
    uint64_t x = seed ^ (stream * 0xD1342543DE82EF95ull + 0x2545F4914F6CDD1Dull);
    (void)splitmix64(&x);
    for (int i = 0; i < 4; i++)
        r->s[i] = splitmix64(&x);
    r->spare = 0.0;
    r->has_spare = 0;
}

uint64_t rng_next(rng_t *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

float rng_uniform(rng_t *r) { return (float)(rng_next(r) >> 40) * 0x1.0p-24f; }

float rng_uniform_range(rng_t *r, float lo, float hi)
{
    /* lo + (hi-lo)*u can round up to hi for u near 1; keep [lo, hi). */
    float v = lo + (hi - lo) * rng_uniform(r);
    return v < hi ? v : nextafterf(hi, lo);
}

/* 53-bit uniform in (0, 1]: never 0, so log() in Box-Muller stays finite. */
static double uniform_open0(rng_t *r)
{
    return ((double)(rng_next(r) >> 11) + 1.0) * 0x1.0p-53;
}

float rng_normal(rng_t *r)
{
    if (r->has_spare) {
        r->has_spare = 0;
        return (float)r->spare;
    }
    double u1 = uniform_open0(r), u2 = uniform_open0(r);
    double radius = sqrt(-2.0 * log(u1));
    double angle = 6.283185307179586 * u2;
    r->spare = radius * sin(angle);
    r->has_spare = 1;
    return (float)(radius * cos(angle));
}

uint32_t rng_below(rng_t *r, uint32_t n)
{
    /* Lemire's multiply-shift with rejection: exact and branch-light. */
    uint64_t m = (uint64_t)(uint32_t)(rng_next(r) >> 32) * n;
    uint32_t low = (uint32_t)m;
    if (low < n) {
        uint32_t threshold = (uint32_t)-n % n;
        while (low < threshold) {
            m = (uint64_t)(uint32_t)(rng_next(r) >> 32) * n;
            low = (uint32_t)m;
        }
    }
    return (uint32_t)(m >> 32);
}

void rng_fill_normal(rng_t *r, float *a, size_t n, float mean, float std)
{
    for (size_t i = 0; i < n; i++)
        a[i] = mean + std * rng_normal(r);
}

void rng_shuffle_u32(rng_t *r, uint32_t *a, size_t n)
{
    for (size_t i = n; i > 1; i--) {
        uint32_t j = rng_below(r, (uint32_t)i);
        uint32_t tmp = a[i - 1];
        a[i - 1] = a[j];
        a[j] = tmp;
    }
}

static void put_u64(uint8_t *p, uint64_t v)
{
    for (int i = 0; i < 8; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_u64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

void rng_pack(uint8_t out[RNG_PACKED_BYTES], const rng_t *r)
{
    uint64_t spare_bits;
    memcpy(&spare_bits, &r->spare, sizeof spare_bits);
    for (int i = 0; i < 4; i++)
        put_u64(out + 8 * i, r->s[i]);
    put_u64(out + 32, spare_bits);
    out[40] = (uint8_t)r->has_spare;
    out[41] = out[42] = out[43] = 0;
}

int rng_unpack(rng_t *r, const uint8_t in[RNG_PACKED_BYTES])
{
    if (in[40] > 1 || in[41] || in[42] || in[43])
        return -1;
    for (int i = 0; i < 4; i++)
        r->s[i] = get_u64(in + 8 * i);
    uint64_t spare_bits = get_u64(in + 32);
    memcpy(&r->spare, &spare_bits, sizeof r->spare);
    r->has_spare = in[40];
    return 0;
}

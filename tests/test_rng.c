/* The seeded RNG: a fixed sequence from an independent implementation,
 * stream separation, bit-exact save/restore, and the distributions. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gan/rng.h"
#include "test_util.h"

/* The first rng_next outputs for seed 42, computed once with this
 * independent python (splitmix64 seeding as in rng_seed: x = seed ^
 * (stream * 0xD1342543DE82EF95 + 0x2545F4914F6CDD1D), one splitmix64
 * output discarded, the next four are s[0..3]; then xoshiro256**):
 *
 *   M = (1 << 64) - 1
 *   def splitmix64(x):
 *       x = (x + 0x9E3779B97F4A7C15) & M
 *       z = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M
 *       z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
 *       return x, z ^ (z >> 31)
 *   def rotl(x, k): return ((x << k) | (x >> (64 - k))) & M
 *   def seed(sd, stream):
 *       x = sd ^ ((stream * 0xD1342543DE82EF95 + 0x2545F4914F6CDD1D) & M)
 *       x, _ = splitmix64(x)
 *       s = []
 *       for _ in range(4):
 *           x, z = splitmix64(x)
 *           s.append(z)
 *       return s
 *   def nxt(s):
 *       r = (rotl((s[1] * 5) & M, 7) * 9) & M
 *       t = (s[1] << 17) & M
 *       s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3]
 *       s[2] ^= t; s[3] = rotl(s[3], 45)
 *       return r
 *   for st in (0, 1):
 *       s = seed(42, st); print([hex(nxt(s)) for _ in range(5)])
 */
Test(rng, seed_42_stream_0_gives_fixed_sequence)
{
    const uint64_t want[5] = {0x0f3ec47c4a1f0e55ull, 0x582a047a76393590ull,
                              0x679c6a868b6e1bddull, 0xbd49979a7e518df6ull,
                              0xf82e74fb61867b70ull};
    rng_t r;
    rng_seed(&r, 42, 0);
    for (int i = 0; i < 5; i++) {
        uint64_t got = rng_next(&r);
        cr_expect_eq(got, want[i], "output %d: 0x%016llx, want 0x%016llx", i,
                     (unsigned long long)got, (unsigned long long)want[i]);
    }
}

Test(rng, seed_42_stream_1_gives_fixed_sequence)
{
    const uint64_t want[5] = {0x443cc2b8f54450bfull, 0x62bac4981e995077ull,
                              0x1dea996c9cb85cacull, 0x385cf89bdafe2f48ull,
                              0xda48d400610ae6f8ull};
    rng_t r;
    rng_seed(&r, 42, 1);
    for (int i = 0; i < 5; i++) {
        uint64_t got = rng_next(&r);
        cr_expect_eq(got, want[i], "output %d: 0x%016llx, want 0x%016llx", i,
                     (unsigned long long)got, (unsigned long long)want[i]);
    }
}

/* Streams and neighbouring seeds share no output among their first 1000
 * (a collision of two random 64-bit words has probability ~1e-13). */
Test(rng, different_streams_and_seeds_differ)
{
    enum { N = 1000 };
    static uint64_t a[N], b[N], c[N];
    rng_t ra, rb, rc;
    rng_seed(&ra, 42, 0);
    rng_seed(&rb, 42, 1);
    rng_seed(&rc, 43, 0);
    for (int i = 0; i < N; i++) {
        a[i] = rng_next(&ra);
        b[i] = rng_next(&rb);
        c[i] = rng_next(&rc);
    }
    size_t same_ab = 0, same_ac = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            same_ab += a[i] == b[j];
            same_ac += a[i] == c[j];
        }
    cr_expect_eq(same_ab, 0, "streams 0 and 1 share %zu outputs", same_ab);
    cr_expect_eq(same_ac, 0, "seeds 42 and 43 share %zu outputs", same_ac);
    rng_t rd;
    rng_seed(&rd, 42, 0);
    cr_expect_eq(rng_next(&rd), a[0], "reseeding does not restart the sequence");
}

/* Draws a mix of every kind of number and records their bits. */
static void draw_mix(rng_t *r, uint64_t out[40])
{
    for (int i = 0; i < 40; i++) {
        float f;
        switch (i % 4) {
        case 0: out[i] = rng_next(r); break;
        case 1: f = rng_normal(r); memcpy(&out[i], &f, sizeof f); out[i] &= 0xffffffffu; break;
        case 2: f = rng_uniform(r); memcpy(&out[i], &f, sizeof f); out[i] &= 0xffffffffu; break;
        default: out[i] = rng_below(r, 1000003u); break;
        }
    }
}

static void check_pack_roundtrip(int with_spare)
{
    rng_t r;
    rng_seed(&r, 7, 3);
    for (int i = 0; i < 11; i++)
        (void)rng_next(&r);
    (void)rng_normal(&r); /* leaves the pair's second normal cached */
    if (!with_spare)
        (void)rng_normal(&r);
    cr_assert_eq(r.has_spare, with_spare);

    uint8_t bytes[RNG_PACKED_BYTES], again[RNG_PACKED_BYTES];
    rng_pack(bytes, &r);
    uint64_t want[40], got[40];
    draw_mix(&r, want);

    rng_t restored;
    memset(&restored, 0xA5, sizeof restored);
    cr_assert_eq(rng_unpack(&restored, bytes), 0);
    cr_expect_eq(restored.has_spare, with_spare);
    rng_pack(again, &restored);
    cr_expect(memcmp(bytes, again, sizeof bytes) == 0, "pack(unpack(bytes)) != bytes");
    draw_mix(&restored, got);
    for (int i = 0; i < 40; i++)
        cr_expect_eq(got[i], want[i], "draw %d after restore differs (spare %d)", i, with_spare);
}

Test(rng, pack_unpack_mid_sequence_continues) { check_pack_roundtrip(0); }
Test(rng, pack_unpack_with_cached_normal_continues) { check_pack_roundtrip(1); }

/* The encoding is fixed little-endian: s[0] occupies bytes 0..7 low byte first. */
Test(rng, pack_is_little_endian)
{
    rng_t r = {.s = {0x0102030405060708ull, 0, 0, 0xffull << 56}, .spare = 1.0, .has_spare = 1};
    uint8_t b[RNG_PACKED_BYTES];
    rng_pack(b, &r);
    for (int i = 0; i < 8; i++)
        cr_expect_eq(b[i], 8 - i, "byte %d", i);
    cr_expect_eq(b[31], 0xff);
    /* 1.0 as an IEEE double is 0x3FF0000000000000 */
    cr_expect_eq(b[38], 0xf0);
    cr_expect_eq(b[39], 0x3f);
    cr_expect_eq(b[40], 1);
    cr_expect_eq(b[41] | b[42] | b[43], 0);
}

Test(rng, unpack_rejects_bad_bytes)
{
    rng_t r;
    rng_seed(&r, 1, 1);
    (void)rng_normal(&r);
    uint8_t good[RNG_PACKED_BYTES], bad[RNG_PACKED_BYTES];
    rng_pack(good, &r);
    rng_t out;
    cr_expect_eq(rng_unpack(&out, good), 0);
    const struct { int at; uint8_t value; } cases[] = {
        {40, 2}, {40, 0xff}, {41, 1}, {42, 0x80}, {43, 1},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        memcpy(bad, good, sizeof bad);
        bad[cases[k].at] = cases[k].value;
        cr_expect_eq(rng_unpack(&out, bad), -1, "byte %d = 0x%02x accepted", cases[k].at,
                     cases[k].value);
    }
}

/* 10^6 normals: the standard error of the mean is 0.001 and of the std
 * 1/sqrt(2e6) = 0.07%, so |mean| < 0.005 and 0.5% are 5 and 7 of them. */
Test(rng, normal_has_mean_0_and_std_1)
{
    enum { N = 1000000 };
    rng_t r;
    rng_seed(&r, 42, 0);
    double s = 0.0, s2 = 0.0, s4 = 0.0;
    for (int i = 0; i < N; i++) {
        double x = rng_normal(&r);
        cr_assert(isfinite(x));
        s += x;
        s2 += x * x;
        s4 += x * x * x * x;
    }
    double mean = s / N, std = sqrt(s2 / N - mean * mean);
    cr_expect(fabs(mean) < 0.005, "mean %.5f", mean);
    cr_expect(fabs(std - 1.0) < 0.005, "std %.5f", std);
    /* A normal's kurtosis is 3 (a uniform's 1.8, a sum of 12 uniforms'
     * 2.9): standard error sqrt(24/N) = 0.005, bound 0.05. */
    cr_expect(fabs(s4 / N - 3.0) < 0.05, "fourth moment %.4f, want 3", s4 / N);
}

Test(rng, fill_normal_applies_mean_and_std)
{
    enum { N = 200000 };
    float *a = malloc(N * sizeof *a);
    cr_assert(a);
    rng_t r;
    rng_seed(&r, 9, 0);
    rng_fill_normal(&r, a, N, 3.0f, 0.5f);
    double s = 0.0, s2 = 0.0;
    for (int i = 0; i < N; i++) {
        s += a[i];
        s2 += (double)a[i] * a[i];
    }
    double mean = s / N, std = sqrt(s2 / N - mean * mean);
    /* standard errors: 0.5/sqrt(N) = 0.0011 for the mean, 0.16% for the std */
    cr_expect(fabs(mean - 3.0) < 0.006, "mean %.5f, want 3", mean);
    cr_expect(fabs(std / 0.5 - 1.0) < 0.01, "std %.5f, want 0.5", std);
    free(a);
}

/* 10^6 uniforms: mean 0.5 with standard error 0.29/1000; 0.002 is 7 of
 * them. Also no draw outside [0, 1), and the variance is 1/12. */
Test(rng, uniform_is_in_0_1_with_mean_one_half)
{
    enum { N = 1000000 };
    rng_t r;
    rng_seed(&r, 42, 2);
    double s = 0.0, s2 = 0.0, lo = 1.0, hi = 0.0;
    for (int i = 0; i < N; i++) {
        float u = rng_uniform(&r);
        cr_assert(u >= 0.0f && u < 1.0f, "draw %d: %.9g", i, (double)u);
        s += u;
        s2 += (double)u * u;
        lo = fmin(lo, u);
        hi = fmax(hi, u);
    }
    double mean = s / N, var = s2 / N - mean * mean;
    cr_expect(fabs(mean - 0.5) < 0.002, "mean %.5f", mean);
    cr_expect(fabs(var - 1.0 / 12) < 0.002 / 12 * 5, "variance %.6f, want %.6f", var, 1.0 / 12);
    cr_expect(lo < 1e-5 && hi > 1.0 - 1e-5, "range [%g, %g] not filled", lo, hi);
}

Test(rng, uniform_range_stays_in_lo_hi)
{
    rng_t r;
    rng_seed(&r, 4, 0);
    for (int i = 0; i < 100000; i++) {
        float u = rng_uniform_range(&r, -3.0f, 5.0f);
        cr_assert(u >= -3.0f && u < 5.0f, "draw %d: %.9g", i, (double)u);
    }
}

/* 10^5 draws of rng_below(10): 10^4 expected per value. Pearson's
 * chi-square with 9 degrees of freedom exceeds 35 with probability 6e-5. */
Test(rng, below_is_in_range_and_uniform)
{
    enum { N = 100000, K = 10 };
    rng_t r;
    rng_seed(&r, 42, 5);
    long count[K] = {0};
    for (int i = 0; i < N; i++) {
        uint32_t v = rng_below(&r, K);
        cr_assert_lt(v, K);
        count[v]++;
    }
    double chi2 = 0.0, e = (double)N / K;
    for (int k = 0; k < K; k++)
        chi2 += (count[k] - e) * (count[k] - e) / e;
    cr_expect_lt(chi2, 35.0, "chi-square %.2f over 10 bins", chi2);
}

Test(rng, below_handles_edge_sizes)
{
    rng_t r;
    rng_seed(&r, 8, 0);
    const uint32_t ns[] = {1, 2, 3, 7, 1000003u, 0x80000001u, 0xffffffffu};
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
        uint32_t hi = 0;
        for (int i = 0; i < 2000; i++) {
            uint32_t v = rng_below(&r, ns[k]);
            cr_assert_lt(v, ns[k], "rng_below(%u) gave %u", ns[k], v);
            if (v > hi)
                hi = v;
        }
        if (ns[k] == 1)
            cr_expect_eq(hi, 0);
        else if (ns[k] > 1000) /* 2000 draws: the max is above n/2 w.p. 1 - 2^-2000 */
            cr_expect_gt(hi, ns[k] / 2, "rng_below(%u): max %u", ns[k], hi);
        else
            cr_expect_eq(hi, ns[k] - 1, "rng_below(%u) never gave %u", ns[k], ns[k] - 1);
    }
}

Test(rng, shuffle_gives_a_permutation)
{
    enum { N = 1000 };
    static uint32_t a[N];
    for (uint32_t i = 0; i < N; i++)
        a[i] = i;
    rng_t r;
    rng_seed(&r, 42, 7);
    rng_shuffle_u32(&r, a, N);
    static uint8_t seen[N];
    size_t fixed = 0;
    for (uint32_t i = 0; i < N; i++) {
        cr_assert_lt(a[i], N);
        cr_assert_eq(seen[a[i]], 0, "%u appears twice", a[i]);
        seen[a[i]] = 1;
        fixed += a[i] == i;
    }
    /* A random permutation has Poisson(1) fixed points. */
    cr_expect_lt(fixed, 10, "%zu fixed points: not shuffled", fixed);
    rng_shuffle_u32(&r, a, 0); /* n = 0 and 1 are no-ops */
    uint32_t one = 5;
    rng_shuffle_u32(&r, &one, 1);
    cr_expect_eq(one, 5);
}

/* All 6 orders of 3 elements equally often: 60000 shuffles, 10^4 expected
 * each; chi-square with 5 degrees of freedom exceeds 30 w.p. 1.5e-5. */
Test(rng, shuffle_of_three_is_uniform)
{
    enum { N = 60000 };
    rng_t r;
    rng_seed(&r, 42, 8);
    long count[6] = {0};
    for (int i = 0; i < N; i++) {
        uint32_t a[3] = {0, 1, 2};
        rng_shuffle_u32(&r, a, 3);
        cr_assert(a[0] != a[1] && a[1] != a[2] && a[0] != a[2]);
        /* index of the order: first element picks a pair, second within it */
        int idx = (int)a[0] * 2 + (a[1] > a[2]);
        count[idx]++;
    }
    double chi2 = 0.0, e = N / 6.0;
    for (int k = 0; k < 6; k++)
        chi2 += (count[k] - e) * (count[k] - e) / e;
    cr_expect_lt(chi2, 30.0, "chi-square %.2f over the 6 orders", chi2);
}

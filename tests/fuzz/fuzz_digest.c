/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_digest.c - libFuzzer target for digest_parse and digest_state_load.
 *
 * Every input is tried as a digest string and as a saved hash state. A state
 * that loads must save back to the same bytes and hash on without crashing.
 * Inputs starting with '!' instead hash their remainder, save the state,
 * corrupt one byte chosen by the input and load it again, which reaches the
 * checks behind the version and algorithm bytes far more often than random
 * bytes would. Run it with tests/fuzz/run.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "digest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_parse(const uint8_t *data, size_t size);
static void check_load(const uint8_t *data, size_t size);
static void check_mutated(const uint8_t *data, size_t size);

static void
check_parse(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);
    digest_algo_t algo;
    size_t want;

    if (s == NULL)
        abort();
    memcpy(s, data, size);
    s[size] = '\0';
    if (digest_parse(s, &algo) == GW_OK) {
        want = algo == DIGEST_SHA256 ? 7 + 64 : 7 + 128;
        if (algo == DIGEST_NONE || strlen(s) != want || strncmp(s, digest_algo_name(algo), 6) != 0)
            abort();
    } else if (algo != DIGEST_NONE) {
        abort();
    }
    free(s);
}

static void
check_load(const uint8_t *data, size_t size)
{
    unsigned char out[DIGEST_STATE_MAX];
    char hex[DIGEST_STR_MAX];
    digest_ctx_t ctx;
    size_t n;

    if (digest_state_load(&ctx, data, size) != GW_OK)
        return;
    n = digest_state_save(&ctx, out, sizeof(out));
    if (n != size || memcmp(out, data, size) != 0)
        abort();
    digest_update(&ctx, data, size);
    digest_final(&ctx, hex);
    if (digest_parse(hex, NULL) != GW_OK)
        abort();
}

static void
check_mutated(const uint8_t *data, size_t size)
{
    unsigned char buf[DIGEST_STATE_MAX];
    digest_ctx_t ctx;
    size_t n, pos;

    if (size < 3)
        return;
    digest_init(&ctx, (data[0] & 1) ? DIGEST_SHA512 : DIGEST_SHA256);
    digest_update(&ctx, data + 3, size - 3);
    n = digest_state_save(&ctx, buf, sizeof(buf));
    if (n == 0)
        abort();
    check_load(buf, n);
    pos = data[1] % n;
    buf[pos] ^= data[2];
    check_load(buf, n);
    check_load(buf, pos);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_parse(data, size);
    check_load(data, size);
    if (size > 0 && data[0] == '!')
        check_mutated(data + 1, size - 1);
    return 0;
}

/*
 * test_privacy.c — unit tests for server/rules/privacy.c.
 *
 * Each test gets a fresh temporary directory with a key file made by privacy_open there
 * (fx->key, opened as fx->p); teardown closes it and removes the directory. The checks take
 * an attacker's view where they can: the key file's bytes and the sealed bytes are read raw,
 * tampered with byte by byte, and compared with what one could compute without the key.
 */
#include "testutil.h"

#include <dirent.h>
#include <pthread.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "privacy.h"

/* A valid resident identity number (DOMAIN.md's check holds); personal data in real life. */
#define ID_NUMBER "500120199310080297"

struct fixture {
    char dir[PATH_MAX];
    char key[PATH_MAX];
    privacy *p;
};

static int setup(void **state)
{
    char err[PRIVACY_ERR_LEN];
    struct fixture *fx = calloc(1, sizeof(*fx));

    if (!fx)
        return -1;
    if (tu_mkdtemp(fx->dir, sizeof(fx->dir), "test_privacy") != 0)
        goto fail;
    if (tu_join(fx->key, sizeof(fx->key), fx->dir, "node.key") != 0 ||
        privacy_open(fx->key, 1, &fx->p, err) != 0) {
        print_error("setup: %s\n", err);
        tu_rmrf(fx->dir);
        goto fail;
    }
    *state = fx;
    return 0;
fail:
    free(fx);
    return -1;
}

static int teardown(void **state)
{
    struct fixture *fx = *state;
    int rc;

    privacy_close(fx->p);
    rc = tu_rmrf(fx->dir);
    free(fx);
    return rc;
}

/* Opens (creating if `create`) the key file `name` in the fixture's directory. */
static privacy *open_key(struct fixture *fx, const char *name, int create)
{
    char err[PRIVACY_ERR_LEN], path[PATH_MAX];
    privacy *p = NULL;

    tu_path(path, fx->dir, name);
    CHECK_OK(privacy_open(path, create, &p, err));
    assert_non_null(p);
    return p;
}

/* Writes data[len] to `name` in the fixture's directory with `mode`; returns its path in out. */
static void put_file(struct fixture *fx, const char *name, const void *data, size_t len,
                     mode_t mode, char *out)
{
    tu_path(out, fx->dir, name);
    assert_int_equal(tu_write_file(out, data, len), 0);
    assert_int_equal(chmod(out, mode), 0);
}

/* privacy_open on `path` fails with a message containing `needle`, leaving the out-parameter
 * alone. */
static void check_open_fails(const char *path, int create, const char *needle)
{
    char err[PRIVACY_ERR_LEN];
    privacy *p = NULL;

    CHECK_FAILS_WITH(privacy_open(path, create, &p, err), needle);
    assert_null(p);
}

static void fingerprint_of(const privacy *p, unsigned char out[PRIVACY_FINGERPRINT_LEN])
{
    memset(out, 0, PRIVACY_FINGERPRINT_LEN);
    privacy_fingerprint(p, out);
}

static void index_of(const privacy *p, const char *value, unsigned char out[PRIVACY_INDEX_LEN])
{
    assert_int_equal(privacy_index(p, value, strlen(value), out), 0);
}

/* Seals plain[len] with aad[aad_len]; the caller frees *out. */
static void seal(const privacy *p, const void *plain, size_t len, const void *aad, size_t aad_len,
                 unsigned char **out, size_t *out_len)
{
    char err[PRIVACY_ERR_LEN];

    *out = NULL;
    CHECK_OK(privacy_seal(p, plain, len, aad, aad_len, out, out_len, err));
    assert_non_null(*out);
    assert_int_equal(*out_len, len + PRIVACY_SEAL_OVERHEAD);
}

/* Unsealing sealed[len] with aad[aad_len] under p gives back want[want_len]. */
static void check_unseals_to(const privacy *p, const unsigned char *sealed, size_t len,
                             const void *aad, size_t aad_len, const void *want, size_t want_len)
{
    char err[PRIVACY_ERR_LEN];
    unsigned char *plain = NULL;
    size_t plain_len = 12345;

    CHECK_OK(privacy_unseal(p, sealed, len, aad, aad_len, &plain, &plain_len, err));
    assert_non_null(plain);
    assert_int_equal(plain_len, want_len);
    if (want_len)
        assert_memory_equal(plain, want, want_len);
    assert_int_equal(plain[plain_len], '\0');
    free(plain);
}

/* Unsealing fails with a message containing `needle` that does not repeat the ID number, and
 * leaves the out-parameters alone. */
static void check_unseal_fails(const privacy *p, const unsigned char *sealed, size_t len,
                               const void *aad, size_t aad_len, const char *needle)
{
    char err[PRIVACY_ERR_LEN];
    unsigned char *plain = NULL;
    size_t plain_len = 12345;

    CHECK_FAILS_WITH(privacy_unseal(p, sealed, len, aad, aad_len, &plain, &plain_len, err), needle);
    assert_null(plain);
    assert_int_equal(plain_len, 12345);
    assert_null(strstr(err, ID_NUMBER));
}

/* Number of entries in `dir` other than . and .. */
static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    assert_non_null(d);
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            n++;
    closedir(d);
    return n;
}

static void test_open_creates_a_key_file_with_mode_0600_and_64_bytes(void **state)
{
    struct fixture *fx = *state;
    char path[PATH_MAX];
    struct stat st;
    privacy *p;
    mode_t old;

    assert_int_equal(stat(fx->key, &st), 0);
    assert_true(S_ISREG(st.st_mode));
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(st.st_size, 64);
    /* The temporary file was renamed, not left behind. */
    assert_int_equal(count_entries(fx->dir), 1);

    /* The mode does not come from the umask: a permissive one still gives 0600. */
    old = umask(0);
    p = open_key(fx, "open.key", 1);
    umask(old);
    tu_path(path, fx->dir, "open.key");
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 07777, 0600);
    assert_int_equal(st.st_size, 64);
    assert_int_equal(count_entries(fx->dir), 2);
    privacy_close(p);
}

static void test_open_without_create_fails_on_missing_file(void **state)
{
    struct fixture *fx = *state;
    char path[PATH_MAX];
    struct stat st;

    tu_path(path, fx->dir, "missing.key");
    check_open_fails(path, 0, "missing.key");
    check_open_fails(path, 0, "No such file");
    assert_int_equal(stat(path, &st), -1);
    assert_int_equal(count_entries(fx->dir), 1);

    /* Creating fails too where the directory is missing, and says where. */
    tu_path(path, fx->dir, "no/such/dir/node.key");
    check_open_fails(path, 1, "no/such/dir");
}

static void test_open_refuses_a_group_readable_key_file(void **state)
{
    struct fixture *fx = *state;
    static const mode_t bad[] = {0640, 0620, 0604, 0602, 0644, 0660, 0666, 0610, 0601};
    unsigned char fp[PRIVACY_FINGERPRINT_LEN], fp2[PRIVACY_FINGERPRINT_LEN];
    privacy *p;

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(chmod(fx->key, bad[i]), 0);
        check_open_fails(fx->key, 0, "chmod 600");
        check_open_fails(fx->key, 1, "group or others");
    }
    /* Put right, it opens with the same keys. */
    assert_int_equal(chmod(fx->key, 0600), 0);
    p = open_key(fx, "node.key", 0);
    fingerprint_of(fx->p, fp);
    fingerprint_of(p, fp2);
    assert_memory_equal(fp, fp2, sizeof(fp));
    privacy_close(p);
    /* 0400 is fine too: the owner alone may read it. */
    assert_int_equal(chmod(fx->key, 0400), 0);
    privacy_close(open_key(fx, "node.key", 0));
}

static void test_open_refuses_a_key_file_of_the_wrong_size(void **state)
{
    struct fixture *fx = *state;
    static const size_t sizes[] = {0, 1, 32, 63, 65, 128};
    unsigned char bytes[128];
    char path[PATH_MAX];
    size_t len = 0;
    char *back;

    for (size_t i = 0; i < sizeof(bytes); i++)
        bytes[i] = (unsigned char)(i * 7 + 1);
    for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        put_file(fx, "bad.key", bytes, sizes[i], 0600, path);
        check_open_fails(path, 0, "exactly 64");
        /* With create set, a bad file is refused, never replaced. */
        check_open_fails(path, 1, "exactly 64");
        back = tu_read_file(path, &len);
        assert_non_null(back);
        assert_int_equal(len, sizes[i]);
        if (len)
            assert_memory_equal(back, bytes, len);
        free(back);
    }
}

static void test_open_refuses_an_all_zero_key_file(void **state)
{
    struct fixture *fx = *state;
    unsigned char zero[64] = {0};
    char path[PATH_MAX];

    put_file(fx, "zero.key", zero, sizeof(zero), 0600, path);
    check_open_fails(path, 1, "all zero");
}

static void test_open_refuses_something_other_than_a_regular_file(void **state)
{
    struct fixture *fx = *state;
    char path[PATH_MAX];

    tu_path(path, fx->dir, "dir.key");
    assert_int_equal(mkdir(path, 0700), 0);
    check_open_fails(path, 1, "not a regular file");
    tu_path(path, fx->dir, "fifo.key");
    assert_int_equal(mkfifo(path, 0600), 0);
    check_open_fails(path, 1, "not a regular file");
}

static void test_reopen_gives_the_same_fingerprint_and_indexes(void **state)
{
    struct fixture *fx = *state;
    unsigned char fp[PRIVACY_FINGERPRINT_LEN], fp2[PRIVACY_FINGERPRINT_LEN];
    unsigned char ix[PRIVACY_INDEX_LEN], ix2[PRIVACY_INDEX_LEN], *sealed;
    size_t sealed_len, len, len2;
    char *before, *after;
    privacy *p;

    before = tu_read_file(fx->key, &len);
    assert_non_null(before);
    fingerprint_of(fx->p, fp);
    index_of(fx->p, ID_NUMBER, ix);
    seal(fx->p, ID_NUMBER, strlen(ID_NUMBER), "rec/1", 5, &sealed, &sealed_len);
    privacy_close(fx->p);
    fx->p = NULL;

    for (int create = 0; create <= 1; create++) {
        p = open_key(fx, "node.key", create);
        fingerprint_of(p, fp2);
        index_of(p, ID_NUMBER, ix2);
        assert_memory_equal(fp, fp2, sizeof(fp));
        assert_memory_equal(ix, ix2, sizeof(ix));
        check_unseals_to(p, sealed, sealed_len, "rec/1", 5, ID_NUMBER, strlen(ID_NUMBER));
        privacy_close(p);
    }
    /* Reopening with create set left the file as it was. */
    after = tu_read_file(fx->key, &len2);
    assert_non_null(after);
    assert_int_equal(len, len2);
    assert_memory_equal(before, after, len);
    free(before);
    free(after);
    free(sealed);
}

static void test_two_key_files_give_different_fingerprints_and_indexes(void **state)
{
    struct fixture *fx = *state;
    unsigned char fp[PRIVACY_FINGERPRINT_LEN], fp2[PRIVACY_FINGERPRINT_LEN];
    unsigned char ix[PRIVACY_INDEX_LEN], ix2[PRIVACY_INDEX_LEN];
    privacy *other = open_key(fx, "other.key", 1);

    fingerprint_of(fx->p, fp);
    fingerprint_of(other, fp2);
    assert_memory_not_equal(fp, fp2, sizeof(fp));
    index_of(fx->p, ID_NUMBER, ix);
    index_of(other, ID_NUMBER, ix2);
    assert_memory_not_equal(ix, ix2, sizeof(ix));
    privacy_close(other);
}

/* The fingerprint covers both halves of the key file: a file that differs only in its
 * encryption key (the first 32 bytes) still gets another fingerprint. */
static void test_fingerprint_changes_with_either_half_of_the_key_file(void **state)
{
    struct fixture *fx = *state;
    unsigned char fp[PRIVACY_FINGERPRINT_LEN], fp2[PRIVACY_FINGERPRINT_LEN];
    char path[PATH_MAX], *bytes;
    size_t len = 0;
    privacy *p;

    fingerprint_of(fx->p, fp);
    bytes = tu_read_file(fx->key, &len);
    assert_non_null(bytes);
    assert_int_equal(len, 64);
    for (size_t at = 0; at < 64; at += 31) { /* byte 0, 31 (encryption key), 62 (index key) */
        bytes[at] ^= 1;
        put_file(fx, "changed.key", bytes, len, 0600, path);
        bytes[at] ^= 1;
        p = open_key(fx, "changed.key", 0);
        fingerprint_of(p, fp2);
        assert_memory_not_equal(fp, fp2, sizeof(fp));
        privacy_close(p);
    }
    free(bytes);
}

/* The fingerprint is derived with HMAC, not a digest of the raw key bytes. */
static void test_fingerprint_is_not_a_digest_of_the_key_bytes(void **state)
{
    struct fixture *fx = *state;
    static const char label[] = "creditd key fingerprint v1";
    unsigned char fp[PRIVACY_FINGERPRINT_LEN], md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    size_t len = 0;
    char *bytes = tu_read_file(fx->key, &len);

    assert_non_null(bytes);
    fingerprint_of(fx->p, fp);
    assert_int_equal(EVP_Digest(bytes, len, md, &mdlen, EVP_sha256(), NULL), 1);
    assert_memory_not_equal(fp, md, sizeof(fp));
    assert_int_equal(EVP_Digest(bytes + 32, 32, md, &mdlen, EVP_sha256(), NULL), 1);
    assert_memory_not_equal(fp, md, sizeof(fp));
    /* It is what privacy.h says it is. */
    assert_non_null(
        HMAC(EVP_sha256(), bytes, 64, (const unsigned char *)label, sizeof(label) - 1, md, &mdlen));
    assert_memory_equal(fp, md, sizeof(fp));
    free(bytes);
}

static void test_index_is_deterministic_and_differs_per_value(void **state)
{
    struct fixture *fx = *state;
    static const char *values[] = {
        ID_NUMBER, "500120199310080298", "11010519491231002X", "11010519491231002x",
        "",        "91230500MA1B3N1N2M",
    };
    enum { N = sizeof(values) / sizeof(values[0]) };
    unsigned char ix[N][PRIVACY_INDEX_LEN], again[PRIVACY_INDEX_LEN], nul[PRIVACY_INDEX_LEN];
    unsigned char keep[PRIVACY_INDEX_LEN];

    for (int i = 0; i < N; i++) {
        index_of(fx->p, values[i], ix[i]);
        index_of(fx->p, values[i], again);
        assert_memory_equal(ix[i], again, PRIVACY_INDEX_LEN);
        for (int j = 0; j < i; j++)
            assert_memory_not_equal(ix[i], ix[j], PRIVACY_INDEX_LEN);
    }
    /* The length counts, not a NUL: "ab\0c" is not "ab". */
    assert_int_equal(privacy_index(fx->p, "ab\0c", 4, again), 0);
    assert_int_equal(privacy_index(fx->p, "ab", 2, nul), 0);
    assert_memory_not_equal(again, nul, PRIVACY_INDEX_LEN);
    /* NULL with length 0 is the empty value; NULL with a length is refused, out untouched. */
    assert_int_equal(privacy_index(fx->p, NULL, 0, again), 0);
    assert_memory_equal(again, ix[4], PRIVACY_INDEX_LEN);
    memset(keep, 0xA5, sizeof(keep));
    memcpy(again, keep, sizeof(keep));
    assert_int_equal(privacy_index(fx->p, NULL, 3, again), -1);
    assert_memory_equal(again, keep, sizeof(keep));
}

/* Without the key, hashing a guessed number does not give its index; with the index key
 * (the key file's second half) HMAC-SHA256 does. */
static void test_index_is_not_a_plain_sha256_of_the_value(void **state)
{
    struct fixture *fx = *state;
    unsigned char ix[PRIVACY_INDEX_LEN], md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    size_t len = 0;
    char *bytes;

    index_of(fx->p, ID_NUMBER, ix);
    assert_int_equal(EVP_Digest(ID_NUMBER, strlen(ID_NUMBER), md, &mdlen, EVP_sha256(), NULL), 1);
    assert_int_equal(mdlen, PRIVACY_INDEX_LEN);
    assert_memory_not_equal(ix, md, PRIVACY_INDEX_LEN);

    bytes = tu_read_file(fx->key, &len);
    assert_non_null(bytes);
    assert_int_equal(len, 64);
    assert_non_null(HMAC(EVP_sha256(), bytes + 32, 32, (const unsigned char *)ID_NUMBER,
                         strlen(ID_NUMBER), md, &mdlen));
    assert_memory_equal(ix, md, PRIVACY_INDEX_LEN);
    free(bytes);
}

static void test_seal_then_unseal_roundtrips(void **state)
{
    struct fixture *fx = *state;
    enum { BIG = 10 * 1024 };
    unsigned char *big = malloc(BIG), *sealed;
    size_t sealed_len;

    assert_non_null(big);
    for (size_t i = 0; i < BIG; i++)
        big[i] = (unsigned char)(i * 131 + (i >> 8));

    seal(fx->p, ID_NUMBER, strlen(ID_NUMBER), "rec/1", 5, &sealed, &sealed_len);
    assert_int_equal(sealed[0], 1);
    check_unseals_to(fx->p, sealed, sealed_len, "rec/1", 5, ID_NUMBER, strlen(ID_NUMBER));
    free(sealed);

    /* Empty plaintext, given as NULL and as "". */
    seal(fx->p, NULL, 0, "rec/2", 5, &sealed, &sealed_len);
    assert_int_equal(sealed_len, PRIVACY_SEAL_OVERHEAD);
    check_unseals_to(fx->p, sealed, sealed_len, "rec/2", 5, "", 0);
    free(sealed);
    seal(fx->p, "", 0, "rec/2", 5, &sealed, &sealed_len);
    check_unseals_to(fx->p, sealed, sealed_len, "rec/2", 5, "", 0);
    free(sealed);

    /* 10 KB of binary, with no aad. */
    seal(fx->p, big, BIG, NULL, 0, &sealed, &sealed_len);
    check_unseals_to(fx->p, sealed, sealed_len, NULL, 0, big, BIG);
    check_unseals_to(fx->p, sealed, sealed_len, "", 0, big, BIG);
    free(sealed);
    free(big);
}

/* The stored format, decoded with OpenSSL alone from the key file's first half: 0x01 | nonce[12]
 * | AES-256-GCM ciphertext | tag[16], with the format byte and then the caller's aad as the
 * additional data. Data sealed today must open after any rewrite of privacy.c. */
static void test_sealed_bytes_follow_format_1(void **state)
{
    struct fixture *fx = *state;
    static const unsigned char format = 1;
    unsigned char *sealed, out[64], tag[16];
    size_t sealed_len, ct_len, len;
    int n = 0, fin = 0;
    char *key = tu_read_file(fx->key, &len);
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();

    assert_non_null(key);
    assert_non_null(ctx);
    seal(fx->p, ID_NUMBER, strlen(ID_NUMBER), "rec/1", 5, &sealed, &sealed_len);
    assert_int_equal(sealed[0], 1);
    ct_len = sealed_len - 1 - 12 - 16;
    assert_int_equal(ct_len, strlen(ID_NUMBER));
    memcpy(tag, sealed + 13 + ct_len, sizeof(tag));
    assert_int_equal(
        EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, (unsigned char *)key, sealed + 1), 1);
    assert_int_equal(EVP_DecryptUpdate(ctx, NULL, &n, &format, 1), 1);
    assert_int_equal(EVP_DecryptUpdate(ctx, NULL, &n, (const unsigned char *)"rec/1", 5), 1);
    assert_int_equal(EVP_DecryptUpdate(ctx, out, &n, sealed + 13, (int)ct_len), 1);
    assert_int_equal(EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, sizeof(tag), tag), 1);
    assert_int_equal(EVP_DecryptFinal_ex(ctx, out + n, &fin), 1);
    assert_int_equal(n + fin, strlen(ID_NUMBER));
    assert_memory_equal(out, ID_NUMBER, strlen(ID_NUMBER));
    EVP_CIPHER_CTX_free(ctx);
    free(sealed);
    free(key);
}

static void test_seal_twice_gives_different_bytes(void **state)
{
    struct fixture *fx = *state;
    unsigned char *a, *b;
    size_t alen, blen;

    seal(fx->p, ID_NUMBER, strlen(ID_NUMBER), "rec/1", 5, &a, &alen);
    seal(fx->p, ID_NUMBER, strlen(ID_NUMBER), "rec/1", 5, &b, &blen);
    assert_int_equal(alen, blen);
    assert_memory_not_equal(a + 1, b + 1, 12); /* the nonce */
    assert_memory_not_equal(a + 13, b + 13, alen - 13);
    check_unseals_to(fx->p, a, alen, "rec/1", 5, ID_NUMBER, strlen(ID_NUMBER));
    check_unseals_to(fx->p, b, blen, "rec/1", 5, ID_NUMBER, strlen(ID_NUMBER));
    free(a);
    free(b);
}

static void test_sealed_bytes_do_not_contain_the_plaintext(void **state)
{
    struct fixture *fx = *state;
    char many[100 * 18 + 1];
    unsigned char *sealed;
    size_t sealed_len, len;
    char *key;

    for (int i = 0; i < 100; i++)
        memcpy(many + i * 18, ID_NUMBER, 18);
    many[sizeof(many) - 1] = '\0';
    key = tu_read_file(fx->key, &len);
    assert_non_null(key);

    seal(fx->p, ID_NUMBER, strlen(ID_NUMBER), "rec/1", 5, &sealed, &sealed_len);
    assert_null(memmem(sealed, sealed_len, ID_NUMBER, strlen(ID_NUMBER)));
    assert_null(memmem(sealed, sealed_len, "50012019931008", 14));
    free(sealed);

    /* A repeated number does not show as repeated blocks either (GCM is a stream mode). */
    seal(fx->p, many, strlen(many), NULL, 0, &sealed, &sealed_len);
    assert_null(memmem(sealed, sealed_len, ID_NUMBER, strlen(ID_NUMBER)));
    assert_memory_not_equal(sealed + 13, sealed + 13 + 18, 18);
    /* Nor do the keys. */
    assert_null(memmem(sealed, sealed_len, key, 16));
    assert_null(memmem(sealed, sealed_len, key + 32, 16));
    free(sealed);
    free(key);
}

static void test_unseal_fails_on_any_flipped_bit(void **state)
{
    struct fixture *fx = *state;
    unsigned char *sealed;
    size_t sealed_len;

    seal(fx->p, ID_NUMBER, strlen(ID_NUMBER), "rec/1", 5, &sealed, &sealed_len);
    for (size_t i = 0; i < sealed_len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            sealed[i] ^= (unsigned char)(1u << bit);
            check_unseal_fails(fx->p, sealed, sealed_len, "rec/1", 5,
                               i == 0 ? "unknown format" : "authentication failed");
            sealed[i] ^= (unsigned char)(1u << bit);
        }
    }
    check_unseals_to(fx->p, sealed, sealed_len, "rec/1", 5, ID_NUMBER, strlen(ID_NUMBER));
    free(sealed);
}

static void test_unseal_fails_with_other_aad(void **state)
{
    struct fixture *fx = *state;
    unsigned char *sealed, *bare;
    size_t sealed_len, bare_len;

    seal(fx->p, ID_NUMBER, strlen(ID_NUMBER), "rec/1", 5, &sealed, &sealed_len);
    check_unseal_fails(fx->p, sealed, sealed_len, "rec/2", 5, "authentication failed");
    check_unseal_fails(fx->p, sealed, sealed_len, "rec/", 4, "authentication failed");
    check_unseal_fails(fx->p, sealed, sealed_len, "rec/10", 6, "authentication failed");
    check_unseal_fails(fx->p, sealed, sealed_len, NULL, 0, "authentication failed");

    seal(fx->p, ID_NUMBER, strlen(ID_NUMBER), NULL, 0, &bare, &bare_len);
    check_unseal_fails(fx->p, bare, bare_len, "rec/1", 5, "authentication failed");
    check_unseal_fails(fx->p, bare, bare_len, "\0", 1, "authentication failed");
    free(sealed);
    free(bare);
}

static void test_unseal_fails_with_another_key(void **state)
{
    struct fixture *fx = *state;
    privacy *other = open_key(fx, "other.key", 1);
    unsigned char *sealed;
    size_t sealed_len;

    seal(fx->p, ID_NUMBER, strlen(ID_NUMBER), "rec/1", 5, &sealed, &sealed_len);
    check_unseal_fails(other, sealed, sealed_len, "rec/1", 5, "authentication failed");
    free(sealed);
    seal(other, ID_NUMBER, strlen(ID_NUMBER), "rec/1", 5, &sealed, &sealed_len);
    check_unseal_fails(fx->p, sealed, sealed_len, "rec/1", 5, "authentication failed");
    free(sealed);
    privacy_close(other);
}

static void test_unseal_fails_on_truncated_input_and_unknown_format(void **state)
{
    struct fixture *fx = *state;
    static const unsigned char formats[] = {0, 2, 0x81, 0xff};
    unsigned char *sealed, *longer;
    size_t sealed_len;

    seal(fx->p, ID_NUMBER, strlen(ID_NUMBER), "rec/1", 5, &sealed, &sealed_len);
    for (size_t cut = 0; cut < sealed_len; cut++)
        check_unseal_fails(fx->p, sealed, cut, "rec/1", 5,
                           cut < PRIVACY_SEAL_OVERHEAD ? "truncated" : "authentication failed");
    check_unseal_fails(fx->p, NULL, 0, NULL, 0, "truncated");

    /* A byte appended is as bad as one cut. */
    longer = malloc(sealed_len + 1);
    assert_non_null(longer);
    memcpy(longer, sealed, sealed_len);
    longer[sealed_len] = 0;
    check_unseal_fails(fx->p, longer, sealed_len + 1, "rec/1", 5, "authentication failed");
    free(longer);

    for (size_t i = 0; i < sizeof(formats); i++) {
        sealed[0] = formats[i];
        check_unseal_fails(fx->p, sealed, sealed_len, "rec/1", 5, "unknown format byte");
        check_unseal_fails(fx->p, sealed, 1, "rec/1", 5, "unknown format byte");
    }
    free(sealed);
}

static void test_seal_and_unseal_leave_out_parameters_alone_on_bad_arguments(void **state)
{
    struct fixture *fx = *state;
    char err[PRIVACY_ERR_LEN];
    unsigned char *out = NULL;
    size_t out_len = 7;

    CHECK_FAILS_WITH(privacy_seal(fx->p, NULL, 5, NULL, 0, &out, &out_len, err), "NULL");
    CHECK_FAILS_WITH(privacy_seal(fx->p, "x", 1, NULL, 5, &out, &out_len, err), "NULL");
    CHECK_FAILS_WITH(privacy_unseal(fx->p, NULL, 30, NULL, 0, &out, &out_len, err), "NULL");
    assert_null(out);
    assert_int_equal(out_len, 7);
    /* err is optional. */
    assert_int_equal(privacy_seal(fx->p, NULL, 5, NULL, 0, &out, &out_len, NULL), -1);
    assert_int_equal(
        privacy_unseal(fx->p, (const unsigned char *)"\2", 1, NULL, 0, &out, &out_len, NULL), -1);
    assert_null(out);
    privacy_close(NULL);
}

#define THREADS 8
#define ROUNDS  200

struct worker {
    const privacy *p;
    int id;
    const unsigned char *shared; /* sealed by the main thread with aad "shared" */
    size_t shared_len;
    const unsigned char *shared_index; /* index of ID_NUMBER from the main thread */
    int failures;
};

/* Seals and unseals its own values, unseals the shared one and recomputes the shared index;
 * counts anything that goes wrong (cmocka's checks are not for other threads). */
static void *worker_main(void *arg)
{
    struct worker *w = arg;
    char err[PRIVACY_ERR_LEN], value[32], aad[32];
    unsigned char ix[PRIVACY_INDEX_LEN], *sealed, *plain;
    size_t sealed_len, plain_len;

    for (int i = 0; i < ROUNDS; i++) {
        int vlen = snprintf(value, sizeof(value), "5001201993%02d%06d", w->id, i);
        int alen = snprintf(aad, sizeof(aad), "rec/%d/%d", w->id, i);

        if (privacy_seal(w->p, value, (size_t)vlen, aad, (size_t)alen, &sealed, &sealed_len, err) !=
            0) {
            w->failures++;
            continue;
        }
        if (privacy_unseal(w->p, sealed, sealed_len, aad, (size_t)alen, &plain, &plain_len, err) !=
            0) {
            w->failures++;
        } else {
            if (plain_len != (size_t)vlen || memcmp(plain, value, plain_len) != 0)
                w->failures++;
            free(plain);
        }
        /* Someone else's aad must still be refused under load. */
        if (privacy_unseal(w->p, sealed, sealed_len, "shared", 6, &plain, &plain_len, err) == 0) {
            w->failures++;
            free(plain);
        }
        free(sealed);
        if (privacy_unseal(w->p, w->shared, w->shared_len, "shared", 6, &plain, &plain_len, err) !=
            0) {
            w->failures++;
        } else {
            if (plain_len != strlen(ID_NUMBER) || memcmp(plain, ID_NUMBER, plain_len) != 0)
                w->failures++;
            free(plain);
        }
        if (privacy_index(w->p, ID_NUMBER, strlen(ID_NUMBER), ix) != 0 ||
            memcmp(ix, w->shared_index, sizeof(ix)) != 0)
            w->failures++;
    }
    return NULL;
}

static void test_concurrent_seal_and_unseal_from_threads(void **state)
{
    struct fixture *fx = *state;
    unsigned char ix[PRIVACY_INDEX_LEN], *shared;
    size_t shared_len;
    pthread_t th[THREADS];
    struct worker w[THREADS];

    seal(fx->p, ID_NUMBER, strlen(ID_NUMBER), "shared", 6, &shared, &shared_len);
    index_of(fx->p, ID_NUMBER, ix);
    for (int i = 0; i < THREADS; i++) {
        w[i] = (struct worker){
            .p = fx->p, .id = i, .shared = shared, .shared_len = shared_len, .shared_index = ix};
        assert_int_equal(pthread_create(&th[i], NULL, worker_main, &w[i]), 0);
    }
    for (int i = 0; i < THREADS; i++) {
        assert_int_equal(pthread_join(th[i], NULL), 0);
        assert_int_equal(w[i].failures, 0);
    }
    free(shared);
}

#define FX_TEST(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        FX_TEST(test_open_creates_a_key_file_with_mode_0600_and_64_bytes),
        FX_TEST(test_open_without_create_fails_on_missing_file),
        FX_TEST(test_open_refuses_a_group_readable_key_file),
        FX_TEST(test_open_refuses_a_key_file_of_the_wrong_size),
        FX_TEST(test_open_refuses_an_all_zero_key_file),
        FX_TEST(test_open_refuses_something_other_than_a_regular_file),
        FX_TEST(test_reopen_gives_the_same_fingerprint_and_indexes),
        FX_TEST(test_two_key_files_give_different_fingerprints_and_indexes),
        FX_TEST(test_fingerprint_changes_with_either_half_of_the_key_file),
        FX_TEST(test_fingerprint_is_not_a_digest_of_the_key_bytes),
        FX_TEST(test_index_is_deterministic_and_differs_per_value),
        FX_TEST(test_index_is_not_a_plain_sha256_of_the_value),
        FX_TEST(test_seal_then_unseal_roundtrips),
        FX_TEST(test_sealed_bytes_follow_format_1),
        FX_TEST(test_seal_twice_gives_different_bytes),
        FX_TEST(test_sealed_bytes_do_not_contain_the_plaintext),
        FX_TEST(test_unseal_fails_on_any_flipped_bit),
        FX_TEST(test_unseal_fails_with_other_aad),
        FX_TEST(test_unseal_fails_with_another_key),
        FX_TEST(test_unseal_fails_on_truncated_input_and_unknown_format),
        FX_TEST(test_seal_and_unseal_leave_out_parameters_alone_on_bad_arguments),
        FX_TEST(test_concurrent_seal_and_unseal_from_threads),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}

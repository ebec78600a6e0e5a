/*
 * vq_decode.h: reference decoder for vqscope compressed embedding tables.
 *
 * Header-only C99 (also valid C++), no dependencies beyond the C standard headers. Decodes rows of a
 * table from the arrays of a vqscope artifact (core/export/ARTIFACT.md), given as a deployment holds
 * them in memory: packed codes, codebooks as fp16/bf16 bit patterns or float32, optional scales and
 * offsets. vqscope's tests check that it gives, bit for bit, the floats vqscope itself decodes.
 *
 * One layout covers every method as a sum of codebook lookups:
 *
 *   row r, stored column j, group g = j / group_dim, position i = j % group_dim:
 *     acc = V(0, code(r, g, 0), i), or 0.0f + V(0, ...) when sum_from_zero is set
 *     acc = acc + V(c, code(r, g, c), i)           for c = 1 .. codebooks-1, in that order
 *     acc = acc + X(e, xcode(m, g, e), i)          for e = 0 .. ext_codebooks-1, in that order, only
 *                                                  when row r is extended (as extended row m) and
 *                                                  g < ext_groups
 *     acc = scale(r, j) * acc                       when scales are given
 *     acc = offset(r, j) + acc                      when offsets are given (acc - offset(r, j) with
 *                                                   offset_subtract)
 *     out[col(j)] = acc + addend[col(j)]            (without the addend when the caller passes none)
 *
 *   code(r, g, c) is value number (r * groups + g) * codebooks + c of the packed code stream
 *   (groups = dim / group_dim). V is either
 *     VQ_CODEBOOK_TABLE:   codebook vector `code` of codebook c of set s (s = 0 when codebook_shared,
 *                          else s = g), element i: value number ((s * codebooks + c) * entries + code)
 *                          * group_dim + i of codebook_values;
 *     VQ_CODEBOOK_INTEGER: the code itself as a float (scalar quantization: group_dim 1, codebooks 1).
 *   scale(r, j) is value number r * (dim / scale_cols) + j / scale_cols of scales (offsets alike).
 *
 *   Two-level scales (llama.cpp's K-quants and iq4_xs; version 3): with scale_codes given, scale(r, j) is
 *   that value times the float of code number r * (dim / sub_cols) + j / sub_cols of scale_codes (two's
 *   complement with scale_codes_signed), computed first: scales(r, j / scale_cols) * (float)code. With
 *   offset_codes, offset(r, j) is offsets(r, j / scale_cols) * (float)offset code (unsigned) alike.
 *
 *   Extended codebooks (crvq's critical groups; ext_codebooks 0: none, and the X step is skipped):
 *   without ext_rows every row r is extended with m = r; with ext_rows (ascending row numbers) row r is
 *   extended when it is entry m of that list, and the other rows are not. xcode(m, g, e) is value number
 *   (m * ext_groups + g) * ext_codebooks + e of ext_codes; X(e, code, i) is value number
 *   (e * entries + code) * group_dim + i of ext_codebook_values (one set shared by every group, entries
 *   = codebook_entries, VQ_CODEBOOK_TABLE only).
 *
 *   col(j) is entry j of permutation (the column of the output that stored column j holds), or j when
 *   there is no permutation. Scales and offsets are indexed by stored column, the addend by output
 *   column.
 *
 * The addend is where a learned corrective term enters (CARVQ's adaptor output gamma(t)): the caller
 * computes it with its own MLP code and passes one row of dim floats per decoded row.
 *
 * Packed codes (codes, ext_codes, ext_rows, permutation): a little-endian bit stream, value k at stream
 * bits [k*b, (k+1)*b), stream bit n is bit n % 8 of byte n / 8, least significant bit first; signed
 * codes are two's complement in b bits. This is the byte content of the artifact's uint / int datasets,
 * so a deployment can point the layout straight at them.
 *
 * Methods (artifact arrays -> layout); see vq::makeReferenceLayout in core/export/referencelayout.h:
 *   rtn: codes -> codes (code_signed for mode "sym"), VQ_CODEBOOK_INTEGER, group_dim 1, codebooks 1,
 *        scales -> scales with scale_cols = the spec's group (dim when 0), mins -> offsets (mode "asym").
 *   q8_0, q4_0, q5_0, q3_K, q6_K and q4_1, q5_1, q2_K, q4_K, q5_K (the llama.cpp block formats): q ->
 *        codes (code_signed for the signed ones: q8_0, q4_0, q5_0, q3_K, q6_K), VQ_CODEBOOK_INTEGER,
 *        group_dim 1, codebooks 1, d -> scales with scale_cols the block size (32; 256 for the K-quants);
 *        q4_1, q5_1: m -> offsets; the K-quants: scales -> scale_codes (scale_codes_signed for q3_K and
 *        q6_K) with sub_cols the sub-block size (16 for q2_K, q3_K, q6_K; 32 for q4_K, q5_K); q2_K, q4_K,
 *        q5_K: dmin -> offsets, mins -> offset_codes, offset_subtract.
 *   iq4_nl, iq4_xs: the same with VQ_CODEBOOK_TABLE: one shared codebook of 16 entries of group_dim 1,
 *        llama.cpp's non-linear grid {-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89,
 *        113} as float32; iq4_xs: scales -> scale_codes (scale_codes_signed), sub_cols 32.
 *   pq:  codes -> codes, codebooks -> codebook_values (sets = 1 when shared, else dim / d),
 *        VQ_CODEBOOK_TABLE, group_dim d, codebooks 1, entries 2^bits.
 *   grvq, carvq: codes -> codes, codebooks -> codebook_values (sets = 1 when shared, else dim / h),
 *        VQ_CODEBOOK_TABLE, group_dim h, codebooks R, entries 2^kappa, sum_from_zero; carvq's adaptor
 *        output (computed by the caller) as addend.
 *   aqlm: codes -> codes, codebooks -> codebook_values (one shared set), VQ_CODEBOOK_TABLE, group_dim g,
 *        codebooks M, entries 2^B; with the spec's scales: scales -> scales, scale_cols = dim.
 *   crvq: codes -> codes, codebooks -> codebook_values (sets = 1 when shared, else dim / g),
 *        VQ_CODEBOOK_TABLE, group_dim g, codebooks 1, entries 2^b, sum_from_zero. When the artifact has
 *        extCodes (shape critRows x perRow x E): ext_codebooks E, ext_groups perRow, extCodes ->
 *        ext_codes, extCodebooks -> ext_codebook_values; axis "column": permutation -> permutation
 *        (no ext_rows); axis "row": rowIds -> ext_rows, ext_row_count critRows (no permutation).
 *
 * sum_from_zero only changes a codebook value of -0.0 into +0.0 (0.0f + -0.0f): it is there so that
 * both ways vqscope's methods write their sums decode bit for bit (pq copies the codeword, grvq adds
 * its stages to a zeroed row).
 *
 * Floating point: every step is one IEEE float32 operation in the order above. Compile without
 * floating-point contraction (-ffp-contract=off) on targets with fused multiply-add if results must be
 * bit-identical to vqscope's.
 *
 * Thread safety: the functions only read the layout; any number of threads may decode concurrently.
 */
#ifndef VQ_DECODE_H
#define VQ_DECODE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VQ_DECODE_VERSION 3 /* 2: extended codebooks, ext_rows, permutation; 3: two-level scales */

enum {
    VQ_OK = 0,
    VQ_ERR_LAYOUT = -1, /* the layout is inconsistent (sizes, missing pointers, bad widths) */
    VQ_ERR_ROW = -2, /* a row index outside [0, rows) */
    VQ_ERR_CODE = -3 /* a code outside its codebook (corrupt codes) */
};

typedef enum vq_value_type { VQ_F32 = 0, VQ_F16 = 1, VQ_BF16 = 2 } vq_value_type;

/* A float array as stored: float32 values, or fp16 / bf16 bit patterns as uint16_t in host order. */
typedef struct vq_values {
    const void* data; /* NULL with count 0: absent */
    vq_value_type type;
    size_t count; /* elements */
} vq_values;

/* A packed stream of unsigned integers (see "Packed codes" above). */
typedef struct vq_packed {
    const uint8_t* data; /* NULL: absent */
    size_t bytes;
    int32_t bits; /* 1..32 */
} vq_packed;

typedef enum vq_codebook_kind { VQ_CODEBOOK_TABLE = 0, VQ_CODEBOOK_INTEGER = 1 } vq_codebook_kind;

typedef struct vq_layout {
    int64_t rows; /* table rows (tokens) */
    int64_t dim; /* columns */
    int32_t group_dim; /* columns per group; divides dim */
    int32_t codebooks; /* codes per group, summed (residual stages, additive codebooks) */
    int32_t sum_from_zero; /* nonzero: the sum starts at +0.0f (see above) */

    const uint8_t* codes; /* packed stream of rows * (dim / group_dim) * codebooks codes */
    size_t codes_bytes;
    int32_t code_bits; /* 1..32 */
    int32_t code_signed; /* nonzero: two's complement codes (VQ_CODEBOOK_INTEGER only) */

    vq_codebook_kind codebook_kind;
    vq_values codebook_values; /* VQ_CODEBOOK_TABLE: sets * codebooks * entries * group_dim values */
    int64_t codebook_entries; /* vectors per codebook */
    int32_t codebook_shared; /* nonzero: one set for every group position; zero: one set per group */

    vq_values scales; /* optional, rows * (dim / scale_cols) values */
    vq_values offsets; /* optional, same layout as scales */
    int64_t scale_cols; /* columns per scale / offset; divides dim (required when either is given) */

    /* Version 2; all zero (absent) for methods without them. */
    int32_t ext_codebooks; /* extended codebooks added in the first ext_groups groups of extended rows */
    int64_t ext_groups; /* 1 .. groups when ext_codebooks > 0 */
    vq_packed ext_codes; /* extended rows * ext_groups * ext_codebooks codes, each < codebook_entries */
    vq_values ext_codebook_values; /* ext_codebooks * codebook_entries * group_dim values */
    vq_packed ext_rows; /* absent: every row is extended; else ext_row_count strictly ascending rows */
    int64_t ext_row_count;
    vq_packed permutation; /* absent: identity; else dim distinct entries, entry j = output column of j */

    /* Version 3; all zero (absent) for methods without them. */
    vq_packed scale_codes; /* rows * (dim / sub_cols) integer multipliers of the scales */
    int32_t scale_codes_signed; /* nonzero: two's complement scale codes */
    vq_packed offset_codes; /* rows * (dim / sub_cols) unsigned multipliers of the offsets */
    int64_t sub_cols; /* columns per scale / offset code; divides scale_cols */
    int32_t offset_subtract; /* nonzero: the offset is subtracted (acc - offset) instead of added */
} vq_layout;

static inline float vq_half_to_float(uint16_t h)
{
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    const uint32_t exponent = (h >> 10) & 0x1fu;
    uint32_t mantissa = h & 0x3ffu;
    uint32_t bits;
    float f;
    if (exponent == 0) {
        if (mantissa == 0) {
            bits = sign;
        } else { /* subnormal: normalise */
            int e = -1;
            do {
                ++e;
                mantissa <<= 1;
            } while ((mantissa & 0x400u) == 0);
            bits = sign | ((uint32_t)(127 - 15 - e) << 23) | ((mantissa & 0x3ffu) << 13);
        }
    } else if (exponent == 0x1f) {
        bits = sign | 0x7f800000u | (mantissa << 13);
    } else {
        bits = sign | ((exponent + (127 - 15)) << 23) | (mantissa << 13);
    }
    memcpy(&f, &bits, sizeof f);
    return f;
}

static inline float vq_bf16_to_float(uint16_t b)
{
    const uint32_t bits = (uint32_t)b << 16;
    float f;
    memcpy(&f, &bits, sizeof f);
    return f;
}

static inline float vq_value_at(const vq_values* v, size_t index)
{
    switch (v->type) {
    case VQ_F16:
        return vq_half_to_float(((const uint16_t*)v->data)[index]);
    case VQ_BF16:
        return vq_bf16_to_float(((const uint16_t*)v->data)[index]);
    case VQ_F32:
    default:
        return ((const float*)v->data)[index];
    }
}

/* Value number `index` of the packed stream, as an unsigned b-bit pattern. Reads only the bytes that
   hold it. */
static inline uint32_t vq_code_bits_at(const uint8_t* codes, uint64_t index, int32_t bits)
{
    const uint64_t first = index * (uint64_t)bits;
    const size_t byte = (size_t)(first >> 3);
    const unsigned shift = (unsigned)(first & 7u);
    const unsigned nbytes = (shift + (unsigned)bits + 7u) / 8u;
    uint64_t acc = 0;
    unsigned k;
    for (k = 0; k < nbytes; ++k)
        acc |= (uint64_t)codes[byte + k] << (8u * k);
    acc >>= shift;
    return (uint32_t)(acc & ((bits == 32) ? 0xffffffffu : ((1u << bits) - 1u)));
}

/* Value number `index` of a packed stream as a float (two's complement when is_signed). */
static inline float vq_packed_float(const vq_packed* p, uint64_t index, int32_t is_signed)
{
    const uint32_t raw = vq_code_bits_at(p->data, index, p->bits);
    if (is_signed && p->bits < 32 && (raw >> (p->bits - 1)) != 0)
        return (float)((int64_t)raw - ((int64_t)1 << p->bits));
    if (is_signed)
        return (float)(int32_t)raw;
    return (float)raw;
}

static inline int vq_values_ok(const vq_values* v, size_t count)
{
    if (v->type != VQ_F32 && v->type != VQ_F16 && v->type != VQ_BF16)
        return 0;
    return v->count == count && (count == 0 || v->data != NULL);
}

static inline int vq_packed_ok(const vq_packed* p, uint64_t count)
{
    return p->data != NULL && p->bits >= 1 && p->bits <= 32
        && (uint64_t)p->bytes >= (count * (uint64_t)p->bits + 7u) / 8u;
}

/* Index m of row `row` among the extended rows (binary search of ext_rows), or -1 when it has none. */
static inline int64_t vq_extended_index(const vq_layout* l, int64_t row)
{
    int64_t lo = 0, hi = l->ext_row_count;
    if (l->ext_codebooks <= 0)
        return -1;
    if (l->ext_rows.data == NULL)
        return row;
    while (lo < hi) {
        const int64_t mid = lo + (hi - lo) / 2;
        const int64_t at = (int64_t)vq_code_bits_at(l->ext_rows.data, (uint64_t)mid, l->ext_rows.bits);
        if (at == row)
            return mid;
        if (at < row)
            lo = mid + 1;
        else
            hi = mid;
    }
    return -1;
}

/* VQ_OK when every size and pointer of the layout is consistent, else VQ_ERR_LAYOUT. Reads ext_rows and
   permutation once (ascending rows, entries below dim); that no permutation entry repeats is checked by
   vq_decode_rows. Decoding calls it; calling it once up front lets a deployment fail early. */
static inline int vq_check_layout(const vq_layout* l)
{
    uint64_t groups, count, need;
    if (l == NULL || l->rows <= 0 || l->dim <= 0 || l->group_dim <= 0 || l->dim % l->group_dim != 0 || l->codebooks <= 0
        || l->code_bits < 1 || l->code_bits > 32 || l->codes == NULL)
        return VQ_ERR_LAYOUT;
    groups = (uint64_t)(l->dim / l->group_dim);
    count = (uint64_t)l->rows * groups * (uint64_t)l->codebooks;
    need = (count * (uint64_t)l->code_bits + 7u) / 8u;
    if (l->codes_bytes < need)
        return VQ_ERR_LAYOUT;
    if (l->codebook_kind == VQ_CODEBOOK_TABLE) {
        const uint64_t sets = l->codebook_shared ? 1u : groups;
        if (l->code_signed || l->codebook_entries <= 0
            || !vq_values_ok(&l->codebook_values,
                (size_t)(sets * (uint64_t)l->codebooks * (uint64_t)l->codebook_entries * (uint64_t)l->group_dim)))
            return VQ_ERR_LAYOUT;
    } else if (l->codebook_kind != VQ_CODEBOOK_INTEGER) {
        return VQ_ERR_LAYOUT;
    }
    if (l->scales.count > 0 || l->offsets.count > 0) {
        size_t per;
        if (l->scale_cols <= 0 || l->dim % l->scale_cols != 0)
            return VQ_ERR_LAYOUT;
        per = (size_t)((uint64_t)l->rows * (uint64_t)(l->dim / l->scale_cols));
        if ((l->scales.count > 0 && !vq_values_ok(&l->scales, per))
            || (l->offsets.count > 0 && !vq_values_ok(&l->offsets, per)))
            return VQ_ERR_LAYOUT;
    }
    if (l->scale_codes.data != NULL || l->offset_codes.data != NULL) {
        uint64_t subs;
        if (l->sub_cols <= 0 || l->scale_cols % l->sub_cols != 0)
            return VQ_ERR_LAYOUT;
        subs = (uint64_t)l->rows * (uint64_t)(l->dim / l->sub_cols);
        if ((l->scale_codes.data != NULL && (l->scales.count == 0 || !vq_packed_ok(&l->scale_codes, subs)))
            || (l->offset_codes.data != NULL && (l->offsets.count == 0 || !vq_packed_ok(&l->offset_codes, subs))))
            return VQ_ERR_LAYOUT;
    }
    if (l->ext_codebooks < 0)
        return VQ_ERR_LAYOUT;
    if (l->ext_codebooks > 0) {
        uint64_t extended = (uint64_t)l->rows;
        if (l->codebook_kind != VQ_CODEBOOK_TABLE || l->ext_groups < 1 || (uint64_t)l->ext_groups > groups
            || !vq_values_ok(&l->ext_codebook_values,
                (size_t)((uint64_t)l->ext_codebooks * (uint64_t)l->codebook_entries * (uint64_t)l->group_dim)))
            return VQ_ERR_LAYOUT;
        if (l->ext_rows.data != NULL) {
            int64_t m, previous = -1;
            if (l->ext_row_count < 1 || l->ext_row_count > l->rows
                || !vq_packed_ok(&l->ext_rows, (uint64_t)l->ext_row_count))
                return VQ_ERR_LAYOUT;
            for (m = 0; m < l->ext_row_count; ++m) {
                const int64_t at = (int64_t)vq_code_bits_at(l->ext_rows.data, (uint64_t)m, l->ext_rows.bits);
                if (at <= previous || at >= l->rows)
                    return VQ_ERR_LAYOUT;
                previous = at;
            }
            extended = (uint64_t)l->ext_row_count;
        }
        if (!vq_packed_ok(&l->ext_codes, extended * (uint64_t)l->ext_groups * (uint64_t)l->ext_codebooks))
            return VQ_ERR_LAYOUT;
    }
    if (l->permutation.data != NULL) {
        int64_t j;
        if (!vq_packed_ok(&l->permutation, (uint64_t)l->dim))
            return VQ_ERR_LAYOUT;
        for (j = 0; j < l->dim; ++j)
            if ((int64_t)vq_code_bits_at(l->permutation.data, (uint64_t)j, l->permutation.bits) >= l->dim)
                return VQ_ERR_LAYOUT;
    }
    return VQ_OK;
}

/* One element of a codebook lookup: V(c, code(r, g, c), i) of the formula above, via *status on a bad
   code. */
static inline float vq_table_value(
    const vq_layout* l, const vq_values* values, uint64_t set_codebook, uint32_t code, int32_t i, int* status)
{
    if ((int64_t)code >= l->codebook_entries) {
        *status = VQ_ERR_CODE;
        return 0.0f;
    }
    return vq_value_at(
        values, (size_t)((set_codebook * (uint64_t)l->codebook_entries + code) * (uint64_t)l->group_dim + (uint64_t)i));
}

/* Decodes row `row` into out[0 .. dim). addend: NULL, or dim floats added last (by output column).
   Returns VQ_OK, VQ_ERR_ROW or VQ_ERR_CODE (out is then partly written). Does not check the layout:
   call vq_check_layout first (vq_decode_rows does); with a permutation that repeats an entry, some
   elements of out are left unwritten. */
static inline int vq_decode_row_unchecked(const vq_layout* l, int64_t row, const float* addend, float* out)
{
    const int64_t groups = l->dim / l->group_dim;
    const int64_t scalesPerRow = (l->scales.count > 0 || l->offsets.count > 0) ? l->dim / l->scale_cols : 0;
    int64_t extended;
    int64_t g;
    int status = VQ_OK;
    if (row < 0 || row >= l->rows)
        return VQ_ERR_ROW;
    extended = vq_extended_index(l, row);
    for (g = 0; g < groups; ++g) {
        const uint64_t set = l->codebook_shared ? 0u : (uint64_t)g;
        int32_t i;
        for (i = 0; i < l->group_dim; ++i) {
            const int64_t j = g * l->group_dim + i;
            const int64_t col = l->permutation.data != NULL
                ? (int64_t)vq_code_bits_at(l->permutation.data, (uint64_t)j, l->permutation.bits)
                : j;
            float acc = 0.0f;
            int32_t c;
            for (c = 0; c < l->codebooks; ++c) {
                const uint64_t k = ((uint64_t)(row * groups + g)) * (uint64_t)l->codebooks + (uint64_t)c;
                const uint32_t raw = vq_code_bits_at(l->codes, k, l->code_bits);
                float v;
                if (l->codebook_kind == VQ_CODEBOOK_INTEGER) {
                    if (l->code_signed && l->code_bits < 32 && (raw >> (l->code_bits - 1)) != 0)
                        v = (float)((int64_t)raw - ((int64_t)1 << l->code_bits));
                    else if (l->code_signed)
                        v = (float)(int32_t)raw;
                    else
                        v = (float)raw;
                } else {
                    v = vq_table_value(
                        l, &l->codebook_values, set * (uint64_t)l->codebooks + (uint64_t)c, raw, i, &status);
                    if (status != VQ_OK)
                        return status;
                }
                acc = c == 0 && !l->sum_from_zero ? v : acc + v;
            }
            if (extended >= 0 && g < l->ext_groups) {
                int32_t e;
                for (e = 0; e < l->ext_codebooks; ++e) {
                    const uint64_t k
                        = ((uint64_t)(extended * l->ext_groups + g)) * (uint64_t)l->ext_codebooks + (uint64_t)e;
                    const uint32_t raw = vq_code_bits_at(l->ext_codes.data, k, l->ext_codes.bits);
                    const float v = vq_table_value(l, &l->ext_codebook_values, (uint64_t)e, raw, i, &status);
                    if (status != VQ_OK)
                        return status;
                    acc = acc + v;
                }
            }
            if (scalesPerRow > 0) {
                const size_t s = (size_t)(row * scalesPerRow + j / l->scale_cols);
                const uint64_t sub = l->sub_cols > 0 ? (uint64_t)(row * (l->dim / l->sub_cols) + j / l->sub_cols) : 0;
                if (l->scales.count > 0) {
                    float scale = vq_value_at(&l->scales, s);
                    if (l->scale_codes.data != NULL)
                        scale = scale * vq_packed_float(&l->scale_codes, sub, l->scale_codes_signed);
                    acc = scale * acc;
                }
                if (l->offsets.count > 0) {
                    float offset = vq_value_at(&l->offsets, s);
                    if (l->offset_codes.data != NULL)
                        offset = offset * vq_packed_float(&l->offset_codes, sub, 0);
                    acc = l->offset_subtract ? acc - offset : offset + acc;
                }
            }
            if (addend != NULL)
                acc = acc + addend[col];
            out[col] = acc;
        }
    }
    return VQ_OK;
}

/* Decodes n rows (any order, repeats allowed) into out (n * dim floats, row-major). addend: NULL, or
   n * dim floats, row k's addend at addend + k * dim. Checks the layout first, and that no permutation
   entry repeats (using out as scratch). */
static inline int vq_decode_rows(const vq_layout* l, const int64_t* rows, size_t n, const float* addend, float* out)
{
    size_t k;
    const int status = vq_check_layout(l);
    if (status != VQ_OK)
        return status;
    if (n == 0)
        return VQ_OK;
    if (rows == NULL || out == NULL)
        return VQ_ERR_LAYOUT;
    if (l->permutation.data != NULL) {
        int64_t j;
        for (j = 0; j < l->dim; ++j)
            out[j] = 0.0f;
        for (j = 0; j < l->dim; ++j) {
            const uint32_t col = vq_code_bits_at(l->permutation.data, (uint64_t)j, l->permutation.bits);
            if (out[col] != 0.0f)
                return VQ_ERR_LAYOUT;
            out[col] = 1.0f;
        }
    }
    for (k = 0; k < n; ++k) {
        const int r = vq_decode_row_unchecked(
            l, rows[k], addend != NULL ? addend + k * (size_t)l->dim : NULL, out + k * (size_t)l->dim);
        if (r != VQ_OK)
            return r;
    }
    return VQ_OK;
}

/* A short English description of a status code. */
static inline const char* vq_status_text(int status)
{
    switch (status) {
    case VQ_OK:
        return "ok";
    case VQ_ERR_LAYOUT:
        return "inconsistent layout";
    case VQ_ERR_ROW:
        return "row out of range";
    case VQ_ERR_CODE:
        return "code outside its codebook";
    default:
        return "unknown status";
    }
}

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* VQ_DECODE_H */

#pragma once

#include "common/matrix.h"
#include "common/runcontrol.h"
#include "metrics/codebookusage.h"
#include "quant/bitbudget.h"
#include "quant/codebooksource.h"
#include "quant/paramschema.h"
#include "quant/quantizedtable.h"

#include <span>
#include <string>
#include <vector>

namespace vq {

struct ReferenceLayout; // export/referencelayout.h

// What fit() trains on: the table and optional per-token weights f_t >= 0 (empty: uniform).
// Every VQ objective is the f-weighted row MSE sum_t f_t ||e_t - ê_t||^2 (docs/METHODS.md).
struct FitInput {
    const Matrix& table;
    std::span<const float> weights; // empty or table.rows entries
};

// Throws vq::Error(InvalidArgument) naming `method` when weights are neither empty nor one finite
// value >= 0 per table row, when they are all 0 (empty weights mean uniform; all-zero ones mean
// nothing), or when the table is empty. Every fit() calls it before any work.
void checkFitInput(const FitInput& input, const std::string& method);

// Which stored array holds codes, and how they are laid out (for codebook-usage metrics).
struct CodeArrayLayout {
    std::string array; // StoredArray::name
    CodeLayout layout;
};

// One quantization method. Stateless: every call gets what it needs; implementations are
// thread-safe. Adding a method = one new unit in core/quant/methods plus one line in registry.cpp: all
// per-method knowledge (schema, presets, how its runs are labelled and compared as baselines, how the
// reference decoder reads its arrays) lives in its unit, so no other code names a method.
class Quantizer {
public:
    virtual ~Quantizer() = default;

    // Registry key, used in specs: "rtn", "q4_0", "pq", "grvq", "carvq", "aqlm", "crvq".
    virtual std::string name() const = 0;
    virtual std::string label() const = 0; // "RTN (scalar)"
    virtual std::string description() const = 0; // one paragraph
    virtual const ParamSchema& schema() const = 0;
    virtual std::vector<Preset> presets() const { return {}; }
    // True for scalar/block baselines (drawn as reference in trade-off plots).
    virtual bool isBaseline() const { return false; }
    // The specs of this method that "Run baselines" queues on a table without such runs (each one the
    // table's shape may still refuse); empty for methods that are not baselines.
    virtual std::vector<QuantSpec> baselineSpecs() const { return {}; }
    // Whether a run with spec `run` (of this method) stands for the baseline `baseline` (one of
    // baselineSpecs()). This default: every run of the method does.
    virtual bool isSameBaseline(const QuantSpec& run, const QuantSpec& baseline) const
    {
        return run.method == baseline.method;
    }
    // A short label for a baseline run, shown beside its marker ("rtn 4", "q4_K"). This default: name().
    virtual std::string baselineLabel(const QuantSpec& spec) const
    {
        (void)spec;
        return name();
    }
    // The parameters that tell this method's runs apart at a glance (run lists show them first; the
    // others only when they differ from their defaults).
    virtual std::vector<std::string> keyParameters() const { return {}; }

    // Checks spec against the schema and the table shape (h must divide dim, codebooks no larger than
    // the data, at most 32 bits per code ...). Returns the resolved spec; throws vq::Error(InvalidArgument)
    // with a message that names the parameter. Called by estimate() and fit() before any work. This
    // default resolves against schema() and refuses a spec for another method and an empty shape;
    // overrides call it first and add their shape checks.
    virtual QuantSpec validate(const QuantSpec& spec, int64_t rows, int64_t dim) const;

    // The exact bit budget fit() will produce for a rows x dim table, without training.
    virtual BitBudget estimate(const QuantSpec& spec, int64_t rows, int64_t dim) const = 0;

    // Advice that does not block a run ("20000 rows for 65536 centroids: under 39 vectors per centroid").
    virtual std::vector<std::string> warnings(const QuantSpec& spec, int64_t rows, int64_t dim) const
    {
        (void)spec;
        (void)rows;
        (void)dim;
        return {};
    }

    // Trains and encodes. Same seed and thread count in control give bit-identical arrays. Reports
    // progress with stage names, honours cancel within a fraction of a second (throws vq::Cancelled).
    virtual QuantizedTable fit(const FitInput& input, const QuantSpec& spec, RunControl& control) const = 0;

    // Decodes rows of a table this method produced (possibly loaded back from an artifact).
    virtual void decodeRows(const QuantizedTable& table, std::span<const int64_t> rowIds, float* out) const = 0;

    // The code arrays of a table this method produced that index codebooks, with their layouts; empty
    // for methods without codebooks (scalar and block baselines).
    virtual std::vector<CodeArrayLayout> codeLayouts(const QuantizedTable& table) const
    {
        (void)table;
        return {};
    }

    // Points out.layout (rows and dim already set) at the arrays of a table this method produced, in
    // the form the C reference decoder reads (export/reference_decoder/vq_decode.h), keeping converted
    // copies in out. Throws vq::Error(Malformed) when the arrays are not what the method stores. This
    // default throws Unsupported: every registered method overrides it (tested).
    virtual void fillReferenceLayout(const QuantizedTable& table, ReferenceLayout& out) const;

    // ---- Codebook explorer: the codewords behind each code array and a row's decode step by step. The
    // defaults describe a method without codebooks (scalar and block baselines).

    // One entry per codeLayouts() entry, in the same order, with the same layouts.
    virtual std::vector<CodebookSource> codebookSources(const QuantizedTable& table) const
    {
        (void)table;
        return {};
    }
    // The steps decodeRows() takes, in order (default: one step "decode").
    virtual std::vector<DecodeStep> decodeSteps(const QuantizedTable& table) const;
    // Decodes rows (rowIds.size() x dim into out) with only the first `steps` of decodeSteps() applied:
    // 0 gives zeros, all of them exactly what decodeRows() gives, bit for bit. Partial decodes live in the
    // table's space (original column order, AQLM's scale applied), so e - partial is the residual left.
    // Throws Error(InvalidArgument) for steps outside 0..decodeSteps().size().
    virtual void decodePartial(
        const QuantizedTable& table, std::span<const int64_t> rowIds, int steps, float* out) const;

    // Checks, on a table loaded from a file, what the bit count cannot: the "codes" array has one row
    // per token (a transposed array holds the same number of values), codebooks and scales are finite.
    // Throws vq::Error(Malformed) naming the array. Methods whose codes do not use their full storage
    // range (rtn sym) override it and call this one.
    virtual void checkStored(const QuantizedTable& table) const;
};

// Throws Error(InvalidArgument) naming the method when steps is outside 0..count.
void checkDecodeSteps(const std::string& method, int steps, size_t count);

} // namespace vq

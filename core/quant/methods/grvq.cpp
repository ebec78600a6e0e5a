#include "quant/methods/grvq.h"

#include "common/error.h"
#include "export/referencelayout.h"
#include "quant/methods/vqshared.h"
#include "quant/residualencoder.h"
#include "quant/residualtrainer.h"

#include <omp.h>

#include <algorithm>

namespace vq {

namespace {

struct Layout {
    int64_t h = 8;
    int stages = 3;
    int kappa = 4;
    int64_t k = 16;
    int64_t groups = 0;
    int64_t positions = 0;
    bool shared = false;
    int beam = 1;
    CodebookPrecision precision;
};

Layout layoutOf(const QuantSpec& s, int64_t dim)
{
    Layout l;
    l.h = s.getInt("h");
    l.stages = static_cast<int>(s.getInt("R"));
    l.kappa = static_cast<int>(s.getInt("kappa"));
    l.k = int64_t(1) << l.kappa;
    l.groups = dim / l.h;
    l.shared = s.getBool("shared");
    l.positions = l.shared ? 1 : l.groups;
    l.beam = static_cast<int>(s.getInt("beam"));
    l.precision = CodebookPrecision::fromName(s.getString("codebook"));
    return l;
}

int64_t trainingVectors(const Layout& l, int64_t rows)
{
    return l.shared ? rows * l.groups : rows;
}

BitBudget budgetOf(const Layout& l, int64_t rows, int64_t dim)
{
    BitBudget b;
    b.rows = rows;
    b.dim = dim;
    b.add("codes (" + std::to_string(l.stages) + " x " + std::to_string(l.kappa) + "-bit per " + std::to_string(l.h)
            + " columns)",
        "codes",
        static_cast<uint64_t>(rows) * static_cast<uint64_t>(l.groups) * static_cast<uint64_t>(l.stages)
            * static_cast<uint64_t>(l.kappa));
    b.add("codebooks (" + l.precision.name() + ")", "codebook",
        static_cast<uint64_t>(l.positions) * static_cast<uint64_t>(l.stages) * static_cast<uint64_t>(l.k)
            * static_cast<uint64_t>(l.h) * static_cast<uint64_t>(l.precision.bits()));
    return b;
}

} // namespace

std::string GrvqQuantizer::description() const
{
    return "Group residual VQ: columns are split into groups of h; each group is the sum of R codewords, one "
           "from each of R residual codebooks of 2^kappa entries fitted by k-means on what the earlier stages "
           "leave, chosen greedily or by beam search. bits/param = R*kappa/h plus the codebooks.";
}

const ParamSchema& GrvqQuantizer::schema() const
{
    static const ParamSchema s { withKMeansParams(
        {
            { "h", ParamDef::Type::Int, 1, 4096, 8, {}, "columns per group; must divide the row length", false },
            { "R", ParamDef::Type::Int, 1, 8, 3, {}, "residual stages (codes per group)", false },
            { "kappa", ParamDef::Type::Int, 1, 16, 4, {}, "bits per code: each stage has 2^kappa codewords", false },
            { "shared", ParamDef::Type::Bool, 0, 0, false, {},
                "one set of stage codebooks shared by every group position instead of one per position", false },
            { "beam", ParamDef::Type::Int, 1, 64, 1, {}, "beam width of the encoder (1: greedy, stage by stage)",
                false },
            { "codebook", ParamDef::Type::Choice, 0, 0, "f16", { "f16", "bf16", "f32" },
                "precision the codebooks are stored in", false },
        },
        " per stage", "codeword") };
    return s;
}

std::vector<Preset> GrvqQuantizer::presets() const
{
    const auto preset = [](const char* label, int h, int stages, int kappa, int beam) {
        return Preset { label,
            QuantSpec { "grvq", { { "h", h }, { "R", stages }, { "kappa", kappa }, { "beam", beam } } } };
    };
    return { preset("GRVQ h8 R3 k4 (~1.5 bits)", 8, 3, 4, 1), preset("GRVQ h8 R3 k4 beam 4 (~1.5 bits)", 8, 3, 4, 4),
        preset("GRVQ h8 R2 k8 (~2 bits)", 8, 2, 8, 1), preset("GRVQ h8 R4 k4 (~2 bits)", 8, 4, 4, 1) };
}

QuantSpec GrvqQuantizer::validate(const QuantSpec& spec, int64_t rows, int64_t dim) const
{
    QuantSpec r = Quantizer::validate(spec, rows, dim);
    requireDividesRow("grvq", "h", r.getInt("h"), dim);
    const Layout l = layoutOf(r, dim);
    if (l.k > trainingVectors(l, rows))
        throw Error(ErrorKind::InvalidArgument, "",
            "grvq: parameter 'kappa' = " + std::to_string(l.kappa) + " asks for " + std::to_string(l.k)
                + " codewords per stage, more than the " + std::to_string(trainingVectors(l, rows))
                + " training vectors");
    requireBelowFloat32("grvq", budgetOf(l, rows, dim));
    return r;
}

BitBudget GrvqQuantizer::estimate(const QuantSpec& spec, int64_t rows, int64_t dim) const
{
    return budgetOf(layoutOf(validate(spec, rows, dim), dim), rows, dim);
}

std::vector<std::string> GrvqQuantizer::warnings(const QuantSpec& spec, int64_t rows, int64_t dim) const
{
    const Layout l = layoutOf(validate(spec, rows, dim), dim);
    std::vector<std::string> w;
    addFewVectorsWarning(w, "grvq", trainingVectors(l, rows), l.k, "per stage codebook");
    return w;
}

QuantizedTable GrvqQuantizer::fit(const FitInput& input, const QuantSpec& spec, RunControl& control) const
{
    const Matrix& e = input.table;
    QuantizedTable t = beginFit(*this, input, spec);
    const Layout l = layoutOf(t.spec, e.cols);
    requireCodebookable(e, l.precision, "grvq");
    checkFitInput(input, name());
    const BitBudget budget = budgetOf(l, e.rows, e.cols);
    const int threads = control.threads > 0 ? control.threads : omp_get_max_threads();

    const MatrixView all(e);
    const MatrixView sharedView(e.values.data(), e.rows * l.groups, l.h, l.h);
    const std::vector<float> sharedWeights = l.shared ? repeatWeights(input.weights, l.groups) : std::vector<float>();
    const auto viewOf = [&](int64_t p) { return l.shared ? sharedView : all.columns(p * l.h, l.h); };
    const std::span<const float> weights = l.shared ? std::span<const float>(sharedWeights) : input.weights;

    ResidualTrainingOptions to;
    to.stageSizes.assign(static_cast<size_t>(l.stages), l.k);
    to.kmeans = kmeansOptionsOf(t.spec);
    to.store = [&l](Matrix& m) { l.precision.round(m); };
    const TaskThreads split = splitThreads(l.positions, threads);
    to.kmeans.threads = split.kmeans;
    to.kmeans.onIteration = kmeansProgress(
        control, "grvq: k-means", static_cast<double>(l.positions) * l.stages * to.kmeans.maxIterations);

    std::vector<ResidualTrainingResult> trained(static_cast<size_t>(l.positions));
    parallelTasks(l.positions, split.tasks, control, [&](int64_t p) {
        ResidualTrainingOptions o = to;
        o.kmeans.seed = mixSeed(control.seed, static_cast<uint64_t>(p));
        trained[static_cast<size_t>(p)] = trainResidualCodebooks(viewOf(p), weights, o, control);
    });

    StoredArray codes { "codes", "codes", budget.items[0].label, StorageType::UInt, l.kappa,
        { e.rows, l.groups, l.stages }, {}, {} };
    codes.ints.resize(static_cast<size_t>(e.rows * l.groups * l.stages));
    StoredArray books { "codebooks", "codebook", budget.items[1].label, l.precision.type, l.precision.bits(),
        { l.positions, l.stages, l.k, l.h }, {}, {} };
    books.floats.reserve(static_cast<size_t>(l.positions * l.stages * l.k * l.h));
    for (const ResidualTrainingResult& r : trained)
        for (const Matrix& c : r.codebooks)
            books.floats.insert(books.floats.end(), c.values.begin(), c.values.end());

    std::vector<float> err(static_cast<size_t>(l.shared ? e.rows * l.groups : e.rows));
    double sqError = 0.0;
    for (int64_t p = 0; p < l.positions; ++p) {
        std::vector<MatrixView> stageBooks;
        for (const Matrix& c : trained[static_cast<size_t>(p)].codebooks)
            stageBooks.emplace_back(c);
        const ResidualEncoder encoder(stageBooks);
        const int64_t stride = l.shared ? l.stages : l.groups * l.stages;
        encoder.encode(viewOf(p), l.beam, codes.ints.data() + p * l.stages, stride, err.data(), threads, &control);
        for (float v : err)
            sqError += v;
        control.report("grvq: encode", static_cast<double>(p + 1) / static_cast<double>(l.positions));
    }

    nlohmann::json perPosition = nlohmann::json::array();
    for (const ResidualTrainingResult& r : trained)
        perPosition.push_back({ { "stageObjective", r.stageObjective },
            { "emptyClustersRepaired", r.emptyClustersRepaired }, { "emptyClustersLeft", r.emptyClustersLeft } });
    t.info = { { "trainingVectors", trained[0].trainingPoints }, { "encodedSquaredError", sqError },
        { "kmeans", perPosition } };
    t.addArray(std::move(codes));
    t.addArray(std::move(books));
    return t;
}

void GrvqQuantizer::decodeRows(const QuantizedTable& table, std::span<const int64_t> rowIds, float* out) const
{
    const Layout l = layoutOf(table.spec, table.dim);
    const StoredArray& codes = table.array("codes");
    const StoredArray& books = table.array("codebooks");
    if (codes.ints.size() != static_cast<size_t>(table.rows * l.groups * l.stages)
        || books.floats.size() != static_cast<size_t>(l.positions * l.stages * l.k * l.h))
        throw Error(ErrorKind::Malformed, "", "grvq: stored arrays do not match the table shape and parameters");
    for (size_t i = 0; i < rowIds.size(); ++i) {
        const int64_t r = rowIds[i];
        if (r < 0 || r >= table.rows)
            throw Error(ErrorKind::InvalidArgument, "", "grvq: row " + std::to_string(r) + " out of range");
        float* x = out + static_cast<int64_t>(i) * table.dim;
        for (int64_t g = 0; g < l.groups; ++g) {
            float* y = x + g * l.h;
            std::fill(y, y + l.h, 0.0f);
            const int64_t pos = l.shared ? 0 : g;
            // Summed in stage order, as ResidualEncoder::decode does.
            for (int s = 0; s < l.stages; ++s) {
                const int32_t c = codes.ints[static_cast<size_t>((r * l.groups + g) * l.stages + s)];
                if (c < 0 || c >= l.k)
                    throw Error(ErrorKind::Malformed, "", "grvq: code " + std::to_string(c) + " out of range");
                const float* cw = books.floats.data() + ((pos * l.stages + s) * l.k + c) * l.h;
                for (int64_t j = 0; j < l.h; ++j)
                    y[j] += cw[j];
            }
        }
    }
}

std::vector<CodeArrayLayout> GrvqQuantizer::codeLayouts(const QuantizedTable& table) const
{
    // Codes are stored [rows][groups][stages], CodeLayout's default order.
    const Layout l = layoutOf(table.spec, table.dim);
    CodeLayout c;
    c.rows = table.rows;
    c.groups = static_cast<int>(l.groups);
    c.stages = l.stages;
    c.bits = l.kappa;
    c.sharedAcrossGroups = l.shared;
    return { { "codes", c } };
}

std::vector<std::string> GrvqQuantizer::keyParameters() const
{
    return { "h", "R", "kappa" };
}

// Codes summed over R stages from zero, one codebook set per group position unless shared (also
// CARVQ's GRVQ part).
void fillResidualReferenceLayout(const QuantizedTable& t, ReferenceLayout& r)
{
    vq_layout& l = r.layout;
    bindCodes(t, r, t.array("codes"));
    l.group_dim = static_cast<int32_t>(t.spec.getInt("h"));
    l.codebooks = static_cast<int32_t>(t.spec.getInt("R"));
    l.sum_from_zero = 1; // GrvqQuantizer::decodeRows adds every stage to a zeroed row
    l.codebook_kind = VQ_CODEBOOK_TABLE;
    l.codebook_entries = int64_t(1) << t.spec.getInt("kappa");
    l.codebook_shared = t.spec.getBool("shared") ? 1 : 0;
    bindValues(t.array("codebooks"), l.codebook_values, r.codebookBits, r.codebookFloats);
}

void GrvqQuantizer::fillReferenceLayout(const QuantizedTable& t, ReferenceLayout& r) const
{
    fillResidualReferenceLayout(t, r);
}

} // namespace vq

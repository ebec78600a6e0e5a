#include "quant/methods/pq.h"

#include "common/error.h"
#include "quant/kmeans.h"
#include "quant/methods/vqshared.h"
#include "quant/nearestcentroids.h"
#include "quant/residualtrainer.h"

#include <omp.h>

#include <algorithm>
#include <atomic>

namespace vq {

namespace {

struct Layout {
    int64_t d = 4; // sub-vector length
    int bits = 8;
    int64_t k = 256; // centroids per codebook
    int64_t groups = 0; // sub-vectors per row
    int64_t positions = 0; // codebooks: groups, or 1 when shared
    bool shared = false;
    CodebookPrecision precision;
};

Layout layoutOf(const QuantSpec& s, int64_t dim)
{
    Layout l;
    l.d = s.getInt("d");
    l.bits = static_cast<int>(s.getInt("bits"));
    l.k = int64_t(1) << l.bits;
    l.groups = dim / l.d;
    l.shared = s.getBool("shared");
    l.positions = l.shared ? 1 : l.groups;
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
    b.add("codes (" + std::to_string(l.bits) + "-bit per " + std::to_string(l.d) + " columns)", "codes",
        static_cast<uint64_t>(rows) * static_cast<uint64_t>(l.groups) * static_cast<uint64_t>(l.bits));
    b.add("codebooks (" + l.precision.name() + ")", "codebook",
        static_cast<uint64_t>(l.positions) * static_cast<uint64_t>(l.k) * static_cast<uint64_t>(l.d)
            * static_cast<uint64_t>(l.precision.bits()));
    return b;
}

} // namespace

std::string PqQuantizer::description() const
{
    return "Product quantization: each row is split into sub-vectors of d columns and each sub-vector is "
           "replaced by the index of its nearest centroid in a k-means codebook of 2^bits entries (one per "
           "sub-vector position, or one shared by all). bits/param = bits/d plus the codebooks.";
}

const ParamSchema& PqQuantizer::schema() const
{
    static const ParamSchema s { withKMeansParams(
        {
            { "d", ParamDef::Type::Int, 1, 4096, 4, {}, "sub-vector length in columns; must divide the row length",
                false },
            { "bits", ParamDef::Type::Int, 1, 16, 8, {}, "bits per code: each codebook has 2^bits centroids", false },
            { "shared", ParamDef::Type::Bool, 0, 0, false, {},
                "one codebook shared by every sub-vector position instead of one per position", false },
            { "codebook", ParamDef::Type::Choice, 0, 0, "f16", { "f16", "f32" },
                "precision the codebooks are stored in", false },
        },
        "", "centroid") };
    return s;
}

std::vector<Preset> PqQuantizer::presets() const
{
    const auto preset = [](const char* label, int d, int bits) {
        return Preset { label, QuantSpec { "pq", { { "d", d }, { "bits", bits } } } };
    };
    return { preset("PQ d4 8-bit (~2 bits)", 4, 8), preset("PQ d8 8-bit (~1 bit)", 8, 8),
        preset("PQ d8 12-bit (~1.5 bits)", 8, 12) };
}

QuantSpec PqQuantizer::validate(const QuantSpec& spec, int64_t rows, int64_t dim) const
{
    QuantSpec r = Quantizer::validate(spec, rows, dim);
    const int64_t d = r.getInt("d");
    if (dim % d != 0)
        throw Error(ErrorKind::InvalidArgument, "",
            "pq: parameter 'd' = " + std::to_string(d) + " does not divide the row length " + std::to_string(dim));
    const Layout l = layoutOf(r, dim);
    if (l.k > trainingVectors(l, rows))
        throw Error(ErrorKind::InvalidArgument, "",
            "pq: parameter 'bits' = " + std::to_string(l.bits) + " asks for " + std::to_string(l.k)
                + " centroids, more than the " + std::to_string(trainingVectors(l, rows)) + " training vectors");
    const double bpp = budgetOf(l, rows, dim).bitsPerParam();
    if (bpp > 32.0)
        throw Error(ErrorKind::InvalidArgument, "",
            "pq: " + std::to_string(bpp) + " bits per parameter, more than the float32 table itself");
    return r;
}

BitBudget PqQuantizer::estimate(const QuantSpec& spec, int64_t rows, int64_t dim) const
{
    return budgetOf(layoutOf(validate(spec, rows, dim), dim), rows, dim);
}

std::vector<std::string> PqQuantizer::warnings(const QuantSpec& spec, int64_t rows, int64_t dim) const
{
    const Layout l = layoutOf(validate(spec, rows, dim), dim);
    std::vector<std::string> w;
    const std::string few = fewVectorsWarning(trainingVectors(l, rows), l.k, "per codebook");
    if (!few.empty())
        w.push_back("pq: " + few);
    return w;
}

QuantizedTable PqQuantizer::fit(const FitInput& input, const QuantSpec& spec, RunControl& control) const
{
    const Matrix& e = input.table;
    QuantizedTable t;
    t.spec = validate(spec, e.rows, e.cols);
    t.rows = e.rows;
    t.dim = e.cols;
    const Layout l = layoutOf(t.spec, e.cols);
    requireCodebookable(e, l.precision, "pq");
    checkFitInput(input, name());
    const BitBudget budget = estimate(t.spec, e.rows, e.cols);
    const int threads = control.threads > 0 ? control.threads : omp_get_max_threads();

    // Sub-vectors of every position at once (shared) or one position per codebook.
    const MatrixView all(e);
    const MatrixView sharedView(e.values.data(), e.rows * l.groups, l.d, l.d);
    const std::vector<float> sharedWeights = l.shared ? repeatWeights(input.weights, l.groups) : std::vector<float>();
    const auto viewOf = [&](int64_t p) { return l.shared ? sharedView : all.columns(p * l.d, l.d); };
    const std::span<const float> weights = l.shared ? std::span<const float>(sharedWeights) : input.weights;

    KMeansOptions ko;
    ko.k = l.k;
    ko.maxIterations = static_cast<int>(t.spec.getInt("iterations"));
    ko.tolerance = t.spec.getFloat("tolerance");
    ko.maxPointsPerCentroid = t.spec.getInt("sampleCap");
    ko.init = t.spec.getString("init") == "random" ? KMeansOptions::Init::Random : KMeansOptions::Init::PlusPlus;
    // Many positions: one single-threaded k-means per thread; few: each k-means uses every thread.
    const bool outer = l.positions >= threads;
    ko.threads = outer ? 1 : threads;
    std::atomic<int64_t> done { 0 };
    const double total = static_cast<double>(l.positions) * ko.maxIterations;
    ko.onIteration = [&](int, double) { control.report("pq: k-means", static_cast<double>(++done) / total); };

    std::vector<KMeansResult> results(static_cast<size_t>(l.positions));
    const auto train = [&](int64_t p) {
        KMeansOptions o = ko;
        o.seed = mixSeed(control.seed, static_cast<uint64_t>(p));
        results[static_cast<size_t>(p)] = kmeans(viewOf(p), weights, o, control);
        l.precision.round(results[static_cast<size_t>(p)].centroids);
    };
    parallelTasks(l.positions, outer ? threads : 1, control, train);

    StoredArray codes { "codes", "codes", budget.items[0].label, StorageType::UInt, l.bits, { e.rows, l.groups }, {},
        {} };
    codes.ints.resize(static_cast<size_t>(e.rows * l.groups));
    StoredArray books { "codebooks", "codebook", budget.items[1].label, l.precision.type, l.precision.bits(),
        { l.positions, l.k, l.d }, {}, {} };
    books.floats.reserve(static_cast<size_t>(l.positions * l.k * l.d));
    for (const KMeansResult& r : results)
        books.floats.insert(books.floats.end(), r.centroids.values.begin(), r.centroids.values.end());

    if (l.shared) {
        assignNearest(sharedView, results[0].centroids, codes.ints.data(), nullptr, threads, &control);
    } else {
        std::vector<int32_t> labels(static_cast<size_t>(e.rows));
        for (int64_t p = 0; p < l.positions; ++p) {
            assignNearest(
                viewOf(p), results[static_cast<size_t>(p)].centroids, labels.data(), nullptr, threads, &control);
            for (int64_t i = 0; i < e.rows; ++i)
                codes.ints[static_cast<size_t>(i * l.groups + p)] = labels[static_cast<size_t>(i)];
            control.report("pq: encode", static_cast<double>(p + 1) / static_cast<double>(l.positions));
        }
    }

    nlohmann::json perPosition = nlohmann::json::array();
    for (const KMeansResult& r : results)
        perPosition.push_back({ { "iterations", r.iterations }, { "objective", r.objective.back() },
            { "emptyClustersRepaired", r.emptyClustersRepaired }, { "emptyClustersLeft", r.emptyClustersLeft } });
    t.info = { { "trainingVectors", results[0].trainingPoints }, { "kmeans", perPosition } };
    t.addArray(std::move(codes));
    t.addArray(std::move(books));
    return t;
}

void PqQuantizer::decodeRows(const QuantizedTable& table, std::span<const int64_t> rowIds, float* out) const
{
    const Layout l = layoutOf(table.spec, table.dim);
    const StoredArray& codes = table.array("codes");
    const StoredArray& books = table.array("codebooks");
    if (codes.ints.size() != static_cast<size_t>(table.rows * l.groups)
        || books.floats.size() != static_cast<size_t>(l.positions * l.k * l.d))
        throw Error(ErrorKind::Malformed, "", "pq: stored arrays do not match the table shape and parameters");
    for (size_t i = 0; i < rowIds.size(); ++i) {
        const int64_t r = rowIds[i];
        if (r < 0 || r >= table.rows)
            throw Error(ErrorKind::InvalidArgument, "", "pq: row " + std::to_string(r) + " out of range");
        float* x = out + static_cast<int64_t>(i) * table.dim;
        for (int64_t g = 0; g < l.groups; ++g) {
            const int32_t c = codes.ints[static_cast<size_t>(r * l.groups + g)];
            if (c < 0 || c >= l.k)
                throw Error(ErrorKind::Malformed, "", "pq: code " + std::to_string(c) + " out of range");
            const float* cw = books.floats.data() + ((l.shared ? 0 : g) * l.k + c) * l.d;
            std::copy(cw, cw + l.d, x + g * l.d);
        }
    }
}

std::vector<CodeArrayLayout> PqQuantizer::codeLayouts(const QuantizedTable& table) const
{
    const Layout l = layoutOf(table.spec, table.dim);
    CodeLayout c;
    c.rows = table.rows;
    c.groups = static_cast<int>(l.groups);
    c.stages = 1;
    c.bits = l.bits;
    c.sharedAcrossGroups = l.shared;
    return { { "codes", c } };
}

} // namespace vq

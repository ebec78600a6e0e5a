#include "quant/methods/pq.h"

#include "common/error.h"
#include "export/referencelayout.h"
#include "quant/kmeans.h"
#include "quant/methods/vqshared.h"
#include "quant/nearestcentroids.h"
#include "quant/residualtrainer.h"

#include <omp.h>

#include <algorithm>

namespace vq {

namespace {

struct Layout {
    int64_t d = 4; // sub-vector length
    int bits = 8;
    int64_t k = 256; // centroids per codebook
    int64_t groups = 0; // sub-vectors per row
    int64_t books = 0; // distinct codebooks: groups, 1 when shared, or the "codebooks" parameter
    bool shared = false;
    CodebookPrecision precision;

    // Codebook of sub-vector position p: contiguous blocks of positions, as even as the division
    // allows (neighbouring columns of a table tend to have similar distributions).
    int64_t bookOf(int64_t p) const { return p * books / groups; }
    int64_t firstPosition(int64_t b) const { return (b * groups + books - 1) / books; }
    int64_t positionsOf(int64_t b) const { return firstPosition(b + 1) - firstPosition(b); }
};

Layout layoutOf(const QuantSpec& s, int64_t dim)
{
    Layout l;
    l.d = s.getInt("d");
    l.bits = static_cast<int>(s.getInt("bits"));
    l.k = int64_t(1) << l.bits;
    l.groups = dim / l.d;
    l.shared = s.getBool("shared");
    const int64_t books = s.getInt("codebooks");
    l.books = l.shared ? 1 : books == 0 ? l.groups : books;
    l.precision = CodebookPrecision::fromName(s.getString("codebook"));
    return l;
}

// Training vectors of the codebook with the fewest positions.
int64_t trainingVectors(const Layout& l, int64_t rows)
{
    return rows * (l.groups / l.books);
}

BitBudget budgetOf(const Layout& l, int64_t rows, int64_t dim)
{
    BitBudget b;
    b.rows = rows;
    b.dim = dim;
    b.add("codes (" + std::to_string(l.bits) + "-bit per " + std::to_string(l.d) + " columns)", "codes",
        static_cast<uint64_t>(rows) * static_cast<uint64_t>(l.groups) * static_cast<uint64_t>(l.bits));
    b.add("codebooks (" + l.precision.name() + ")", "codebook",
        static_cast<uint64_t>(l.books) * static_cast<uint64_t>(l.k) * static_cast<uint64_t>(l.d)
            * static_cast<uint64_t>(l.precision.bits()));
    return b;
}

} // namespace

std::string PqQuantizer::description() const
{
    return "Product quantization: each row is split into sub-vectors of d columns and each sub-vector is "
           "replaced by the index of its nearest centroid in a k-means codebook of 2^bits entries (one per "
           "sub-vector position, one shared by all, or a few each shared by a block of neighbouring positions). "
           "bits/param = bits/d plus the codebooks.";
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
            { "codebooks", ParamDef::Type::Int, 0, 4096, 0, {},
                "distinct codebooks, each shared by a block of neighbouring sub-vector positions (0: one per "
                "position; 1: same as shared); at most dim/d",
                false },
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
    // For small tables, where per-position codebooks cost a large share of the bits.
    const QuantSpec blocks { "pq", { { "d", 4 }, { "bits", 8 }, { "codebooks", 5 } } };
    const QuantSpec sharedD5 { "pq", { { "d", 5 }, { "bits", 10 }, { "shared", true } } };
    return { preset("PQ d4 8-bit (~2 bits)", 4, 8), Preset { "PQ d4 8-bit, 5 codebooks (small tables)", blocks },
        Preset { "PQ d5 10-bit shared (small tables)", sharedD5 }, preset("PQ d8 8-bit (~1 bit)", 8, 8),
        preset("PQ d8 12-bit (~1.5 bits)", 8, 12) };
}

QuantSpec PqQuantizer::validate(const QuantSpec& spec, int64_t rows, int64_t dim) const
{
    QuantSpec r = Quantizer::validate(spec, rows, dim);
    const int64_t d = r.getInt("d");
    requireDividesRow("pq", "d", d, dim);
    const int64_t books = r.getInt("codebooks");
    if (books > dim / d)
        throw Error(ErrorKind::InvalidArgument, "",
            "pq: parameter 'codebooks' = " + std::to_string(books) + " is more than the " + std::to_string(dim / d)
                + " sub-vector positions");
    if (r.getBool("shared") && books > 1)
        throw Error(ErrorKind::InvalidArgument, "",
            "pq: parameter 'shared' asks for one codebook but 'codebooks' = " + std::to_string(books));
    const Layout l = layoutOf(r, dim);
    if (l.k > trainingVectors(l, rows))
        throw Error(ErrorKind::InvalidArgument, "",
            "pq: parameter 'bits' = " + std::to_string(l.bits) + " asks for " + std::to_string(l.k)
                + " centroids, more than the " + std::to_string(trainingVectors(l, rows)) + " training vectors");
    requireBelowFloat32("pq", budgetOf(l, rows, dim));
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
    addFewVectorsWarning(w, "pq", trainingVectors(l, rows), l.k, "per codebook");
    return w;
}

QuantizedTable PqQuantizer::fit(const FitInput& input, const QuantSpec& spec, RunControl& control) const
{
    const Matrix& e = input.table;
    QuantizedTable t = beginFit(*this, input, spec);
    const Layout l = layoutOf(t.spec, e.cols);
    requireCodebookable(e, l.precision, "pq");
    checkFitInput(input, name());
    const BitBudget budget = estimate(t.spec, e.rows, e.cols);
    const int threads = control.threads > 0 ? control.threads : omp_get_max_threads();

    // The training (and encoding) vectors of codebook b: the sub-vectors of its positions, row-major
    // (row i, position p) at index i * positionsOf(b) + p - firstPosition(b). A view in place when
    // the block is one position or the whole row, a gathered copy otherwise.
    const MatrixView all(e);
    const auto gather = [&](int64_t b, Matrix& copy) {
        const int64_t first = l.firstPosition(b), count = l.positionsOf(b);
        if (count == 1)
            return all.columns(first * l.d, l.d);
        if (count == l.groups)
            return MatrixView(e.values.data(), e.rows * l.groups, l.d, l.d);
        copy = toMatrix(MatrixView(e.values.data() + first * l.d, e.rows, count * l.d, e.cols));
        return MatrixView(copy.values.data(), e.rows * count, l.d, l.d);
    };

    KMeansOptions ko = kmeansOptionsOf(t.spec);
    ko.k = l.k;
    const TaskThreads split = splitThreads(l.books, threads);
    ko.threads = split.kmeans;
    ko.onIteration = kmeansProgress(control, "pq: k-means", static_cast<double>(l.books) * ko.maxIterations);

    std::vector<KMeansResult> results(static_cast<size_t>(l.books));
    const auto train = [&](int64_t b) {
        Matrix copy;
        const MatrixView v = gather(b, copy);
        const int64_t count = l.positionsOf(b);
        const std::vector<float> repeated = count > 1 ? repeatWeights(input.weights, count) : std::vector<float>();
        KMeansOptions o = ko;
        o.seed = mixSeed(control.seed, static_cast<uint64_t>(b));
        results[static_cast<size_t>(b)]
            = kmeans(v, count > 1 ? std::span<const float>(repeated) : input.weights, o, control);
        l.precision.round(results[static_cast<size_t>(b)].centroids);
    };
    parallelTasks(l.books, split.tasks, control, train);

    StoredArray codes { "codes", "codes", budget.items[0].label, StorageType::UInt, l.bits, { e.rows, l.groups }, {},
        {} };
    codes.ints.resize(static_cast<size_t>(e.rows * l.groups));
    StoredArray books { "codebooks", "codebook", budget.items[1].label, l.precision.type, l.precision.bits(),
        { l.books, l.k, l.d }, {}, {} };
    books.floats.reserve(static_cast<size_t>(l.books * l.k * l.d));
    for (const KMeansResult& r : results)
        books.floats.insert(books.floats.end(), r.centroids.values.begin(), r.centroids.values.end());

    std::vector<int32_t> labels;
    for (int64_t b = 0; b < l.books; ++b) {
        Matrix copy;
        const MatrixView v = gather(b, copy);
        const int64_t first = l.firstPosition(b), count = l.positionsOf(b);
        labels.resize(static_cast<size_t>(v.rows));
        assignNearest(v, results[static_cast<size_t>(b)].centroids, labels.data(), nullptr, threads, &control);
        for (int64_t i = 0; i < e.rows; ++i)
            for (int64_t j = 0; j < count; ++j)
                codes.ints[static_cast<size_t>(i * l.groups + first + j)] = labels[static_cast<size_t>(i * count + j)];
        control.report("pq: encode", static_cast<double>(b + 1) / static_cast<double>(l.books));
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
        || books.floats.size() != static_cast<size_t>(l.books * l.k * l.d))
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
            const float* cw = books.floats.data() + (l.bookOf(g) * l.k + c) * l.d;
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
    // Block-shared codebooks are reported per position: a code dead in one position of a block may be
    // used by another.
    c.sharedAcrossGroups = l.books == 1;
    return { { "codes", c } };
}

std::vector<std::string> PqQuantizer::keyParameters() const
{
    return { "d", "bits" };
}

void PqQuantizer::fillReferenceLayout(const QuantizedTable& t, ReferenceLayout& r) const
{
    vq_layout& l = r.layout;
    bindCodes(t, r, t.array("codes"));
    const int64_t d = t.spec.getInt("d");
    l.group_dim = static_cast<int32_t>(d);
    l.codebooks = 1;
    l.codebook_kind = VQ_CODEBOOK_TABLE;
    l.codebook_entries = int64_t(1) << t.spec.getInt("bits");
    const StoredArray& books = t.array("codebooks");
    const int64_t groups = t.dim / d;
    const int64_t asked = t.spec.params.contains("codebooks") ? t.spec.getInt("codebooks") : 0;
    const int64_t count = t.spec.getBool("shared") ? 1 : asked == 0 ? groups : asked;
    if (books.shape.empty() || books.shape[0] != count)
        refuseLayout(t, "the codebooks array does not hold the " + std::to_string(count) + " codebooks of the spec");
    l.codebook_shared = count == 1 ? 1 : 0;
    if (count == 1 || count == groups) {
        bindValues(books, l.codebook_values, r.codebookBits, r.codebookFloats);
        return;
    }
    // Codebooks shared by blocks of positions: the decoder knows one set per position, so each
    // position gets a copy of its block's codebook (position p uses codebook p * count / groups).
    StoredArray expanded = books;
    const size_t per = static_cast<size_t>(l.codebook_entries * d);
    if (books.floats.size() != static_cast<size_t>(count) * per)
        refuseLayout(t, "codebooks do not match their shape");
    expanded.shape[0] = groups;
    expanded.floats.clear();
    for (int64_t p = 0; p < groups; ++p) {
        const auto first
            = books.floats.begin() + static_cast<std::ptrdiff_t>(static_cast<size_t>(p * count / groups) * per);
        expanded.floats.insert(expanded.floats.end(), first, first + static_cast<std::ptrdiff_t>(per));
    }
    bindValues(expanded, l.codebook_values, r.codebookBits, r.codebookFloats);
}

} // namespace vq

#include "quant/methods/crvq.h"

#include "common/error.h"
#include "export/referencelayout.h"
#include "quant/kmeans.h"
#include "quant/methods/vqshared.h"
#include "quant/nearestcentroids.h"
#include "quant/residualencoder.h"
#include "quant/residualtrainer.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <numeric>

namespace vq {

namespace {

struct Layout {
    int64_t g = 8;
    int b = 8;
    int64_t k = 256;
    int64_t groups = 0;
    int64_t positions = 0;
    bool shared = true;
    int ext = 3;
    double lambda = 0.02;
    bool rowAxis = false;
    int beam = 4;
    CodebookPrecision precision;
    int64_t critical = 0; // critical groups (column axis) or rows (row axis)
    bool raised = false; // critical count raised from 0 to 1
    int indexBits = 1; // bits per permutation entry or row id
};

// Smallest w >= 1 with 2^w >= n.
int indexBitsFor(int64_t n)
{
    int w = 1;
    while ((int64_t(1) << w) < n)
        ++w;
    return w;
}

Layout layoutOf(const QuantSpec& s, int64_t rows, int64_t dim)
{
    Layout l;
    l.g = s.getInt("g");
    l.b = static_cast<int>(s.getInt("b"));
    l.k = int64_t(1) << l.b;
    l.groups = dim / l.g;
    l.shared = s.getBool("shared");
    l.positions = l.shared ? 1 : l.groups;
    l.ext = static_cast<int>(s.getInt("E"));
    l.lambda = s.getFloat("lambda");
    l.rowAxis = s.getString("axis") == "row";
    l.beam = static_cast<int>(s.getInt("beam"));
    l.precision = CodebookPrecision::fromName(s.getString("codebook"));
    if (l.ext > 0 && l.lambda > 0) {
        // The small epsilon keeps lambda = 0.08 with 100 columns at 8/8 = 1 group despite rounding.
        const double raw = l.rowAxis ? static_cast<double>(rows) * l.lambda
                                     : static_cast<double>(dim) * l.lambda / static_cast<double>(l.g);
        l.critical = static_cast<int64_t>(std::floor(raw + 1e-9));
        l.critical = std::min(l.critical, l.rowAxis ? rows : l.groups);
        if (l.critical == 0) {
            l.critical = 1;
            l.raised = true;
        }
    }
    l.indexBits = indexBitsFor(l.rowAxis ? rows : dim);
    return l;
}

int64_t baseTrainingVectors(const Layout& l, int64_t rows)
{
    return l.shared ? rows * l.groups : rows;
}

int64_t extTrainingVectors(const Layout& l, int64_t rows)
{
    return l.rowAxis ? l.critical * l.groups : rows * l.critical;
}

std::string str(int64_t v)
{
    return std::to_string(v);
}

BitBudget budgetOf(const Layout& l, int64_t rows, int64_t dim)
{
    const auto u = [](int64_t v) { return static_cast<uint64_t>(v); };
    BitBudget bb;
    bb.rows = rows;
    bb.dim = dim;
    bb.add("base codes (" + str(l.b) + "-bit per " + str(l.g) + " columns)", "codes", u(rows) * u(l.groups) * u(l.b));
    bb.add("base codebook" + std::string(l.shared ? "" : "s") + " (" + l.precision.name() + ")", "codebook",
        u(l.positions) * u(l.k) * u(l.g) * u(l.precision.bits()));
    if (l.critical == 0)
        return bb;
    const std::string where = l.rowAxis ? str(l.critical) + " critical rows" : str(l.critical) + " critical groups";
    const uint64_t codesPerStage = l.rowAxis ? u(l.critical) * u(l.groups) : u(rows) * u(l.critical);
    bb.add("extended codes (" + str(l.ext) + " x " + str(l.b) + "-bit, " + where + ")", "codes",
        codesPerStage * u(l.ext) * u(l.b));
    bb.add("extended codebooks (" + l.precision.name() + ")", "codebook",
        u(l.ext) * u(l.k) * u(l.g) * u(l.precision.bits()));
    if (l.rowAxis)
        bb.add("critical row ids (" + str(l.indexBits) + "-bit)", "other", u(l.critical) * u(l.indexBits));
    else
        bb.add("column permutation (" + str(l.indexBits) + "-bit)", "permutation", u(dim) * u(l.indexBits));
    return bb;
}

// The base VQ of a rows x dim table: one codebook per position (or one shared), rounded to storage.
std::vector<Matrix> fitBase(const Matrix& x, std::span<const float> weights, const Layout& l, const QuantSpec& spec,
    uint64_t seed, RunControl& control, int threads, const std::string& stage)
{
    const MatrixView sharedView(x.values.data(), x.rows * l.groups, l.g, l.g);
    const std::vector<float> sharedWeights = l.shared ? repeatWeights(weights, l.groups) : std::vector<float>();
    KMeansOptions ko = kmeansOptionsOf(spec);
    ko.k = l.k;
    const TaskThreads split = splitThreads(l.positions, threads);
    ko.threads = split.kmeans;
    ko.onIteration = kmeansProgress(control, stage, static_cast<double>(l.positions) * ko.maxIterations);
    std::vector<Matrix> books(static_cast<size_t>(l.positions));
    parallelTasks(l.positions, split.tasks, control, [&](int64_t p) {
        KMeansOptions o = ko;
        o.seed = mixSeed(seed, static_cast<uint64_t>(p));
        const MatrixView view = l.shared ? sharedView : MatrixView(x).columns(p * l.g, l.g);
        KMeansResult r = kmeans(view, l.shared ? std::span<const float>(sharedWeights) : weights, o, control);
        l.precision.round(r.centroids);
        books[static_cast<size_t>(p)] = std::move(r.centroids);
    });
    return books;
}

// Nearest base codeword of every group: rows x groups codes.
std::vector<int32_t> encodeBase(
    const Matrix& x, const std::vector<Matrix>& books, const Layout& l, int threads, const RunControl& control)
{
    std::vector<int32_t> codes(static_cast<size_t>(x.rows * l.groups));
    if (l.shared) {
        assignNearest(MatrixView(x.values.data(), x.rows * l.groups, l.g, l.g), books[0], codes.data(), nullptr,
            threads, &control);
        return codes;
    }
    std::vector<int32_t> labels(static_cast<size_t>(x.rows));
    for (int64_t p = 0; p < l.groups; ++p) {
        assignNearest(MatrixView(x).columns(p * l.g, l.g), books[static_cast<size_t>(p)], labels.data(), nullptr,
            threads, &control);
        for (int64_t i = 0; i < x.rows; ++i)
            codes[static_cast<size_t>(i * l.groups + p)] = labels[static_cast<size_t>(i)];
    }
    return codes;
}

const float* baseCodeword(const std::vector<Matrix>& books, const Layout& l, int64_t group, int32_t code)
{
    return books[static_cast<size_t>(l.shared ? 0 : group)].row(code);
}

double weightOf(std::span<const float> weights, int64_t row)
{
    return weights.empty() ? 1.0 : static_cast<double>(weights[static_cast<size_t>(row)]);
}

} // namespace

std::string CrvqQuantizer::description() const
{
    return "Channel-relaxed VQ: a base VQ (2^b codewords over groups of g columns, 1 bit/param at the defaults) "
           "quantizes everything; the columns it serves worst are moved to the front and their groups get E "
           "extra codebooks fitted to the base's residual, encoded jointly by beam search. The column "
           "permutation is stored and counted. The row axis (an extension) gives the extra codebooks to the "
           "rows with the largest weighted error instead.";
}

const ParamSchema& CrvqQuantizer::schema() const
{
    static const ParamSchema s { withKMeansParams(
        {
            { "g", ParamDef::Type::Int, 1, 4096, 8, {}, "columns per group; must divide the row length", false },
            { "b", ParamDef::Type::Int, 1, 16, 8, {}, "bits per code: every codebook has 2^b codewords", false },
            { "lambda", ParamDef::Type::Float, 0, 1, 0.02, {},
                "fraction of critical columns (or rows); at least one group (row) when lambda and E are above 0",
                false },
            { "E", ParamDef::Type::Int, 0, 8, 3, {}, "extended codebooks of the critical groups (0: base VQ only)",
                false },
            { "axis", ParamDef::Type::Choice, 0, 0, "column", { "column", "row" },
                "critical columns (paper) or critical rows (our extension: f_t-weighted row error)", false },
            { "shared", ParamDef::Type::Bool, 0, 0, true, {},
                "one base codebook shared by every group position (paper) instead of one per position", false },
            { "beam", ParamDef::Type::Int, 1, 16, 4, {}, "beam width encoding the critical groups (1: greedy)", false },
            { "codebook", ParamDef::Type::Choice, 0, 0, "f16", { "f16", "bf16", "f32" },
                "precision the codebooks are stored in", false },
        },
        " per codebook", "codeword") };
    return s;
}

std::vector<Preset> CrvqQuantizer::presets() const
{
    return { { "CRVQ ~1 bit (paper)",
                 QuantSpec { "crvq", { { "g", 8 }, { "b", 8 }, { "lambda", 0.02 }, { "E", 3 } } } },
        { "CRVQ rows 5%",
            QuantSpec { "crvq", { { "g", 8 }, { "b", 8 }, { "lambda", 0.05 }, { "E", 3 }, { "axis", "row" } } } } };
}

int64_t CrvqQuantizer::criticalCount(const QuantSpec& resolved, int64_t rows, int64_t dim)
{
    return layoutOf(resolved, rows, dim).critical;
}

QuantSpec CrvqQuantizer::validate(const QuantSpec& spec, int64_t rows, int64_t dim) const
{
    QuantSpec r = Quantizer::validate(spec, rows, dim);
    requireDividesRow("crvq", "g", r.getInt("g"), dim);
    const Layout l = layoutOf(r, rows, dim);
    if (l.k > baseTrainingVectors(l, rows))
        throw Error(ErrorKind::InvalidArgument, "",
            "crvq: parameter 'b' = " + str(l.b) + " asks for " + str(l.k) + " codewords, more than the "
                + str(baseTrainingVectors(l, rows)) + " vectors the base codebook is trained on");
    if (l.critical > 0 && l.k > extTrainingVectors(l, rows))
        throw Error(ErrorKind::InvalidArgument, "",
            "crvq: parameter 'b' = " + str(l.b) + " asks for " + str(l.k) + " codewords, more than the "
                + str(extTrainingVectors(l, rows))
                + " critical vectors the extended codebooks are trained on (raise 'lambda')");
    requireBelowFloat32("crvq", budgetOf(l, rows, dim));
    return r;
}

BitBudget CrvqQuantizer::estimate(const QuantSpec& spec, int64_t rows, int64_t dim) const
{
    return budgetOf(layoutOf(validate(spec, rows, dim), rows, dim), rows, dim);
}

std::vector<std::string> CrvqQuantizer::warnings(const QuantSpec& spec, int64_t rows, int64_t dim) const
{
    const Layout l = layoutOf(validate(spec, rows, dim), rows, dim);
    std::vector<std::string> w;
    if (l.raised)
        w.push_back("crvq: lambda = " + std::to_string(l.lambda) + " gives no critical "
            + (l.rowAxis ? "row for " + str(rows) + " rows"
                         : "group for " + str(dim) + " columns in groups of " + str(l.g))
            + "; using 1, so the extended codebooks cost more than lambda suggests");
    addFewVectorsWarning(w, "crvq", baseTrainingVectors(l, rows), l.k, "base codebook");
    if (l.critical > 0)
        addFewVectorsWarning(w, "crvq", extTrainingVectors(l, rows), l.k, "extended codebooks");
    return w;
}

QuantizedTable CrvqQuantizer::fit(const FitInput& input, const QuantSpec& spec, RunControl& control) const
{
    checkFitInput(input, name());
    const Matrix& e = input.table;
    QuantizedTable t = beginFit(*this, input, spec);
    const Layout l = layoutOf(t.spec, e.rows, e.cols);
    requireCodebookable(e, l.precision, "crvq");
    const BitBudget budget = budgetOf(l, e.rows, e.cols);
    const int threads = control.threads > 0 ? control.threads : omp_get_max_threads();
    const std::span<const float> weights = input.weights;
    const int64_t rows = e.rows;
    const int64_t dim = e.cols;

    // 1. Base VQ of the table as given; its residual scores the columns (or rows).
    std::vector<Matrix> base = fitBase(e, weights, l, t.spec, mixSeed(control.seed, 0), control, threads,
        l.critical > 0 && !l.rowAxis ? "crvq: pre-quantization k-means" : "crvq: base k-means");
    std::vector<int32_t> codes = encodeBase(e, base, l, threads, control);
    control.throwIfCancelled();

    const auto residualOf = [&](const Matrix& x, int64_t i, int64_t j) {
        const int64_t grp = j / l.g;
        return x.at(i, j) - baseCodeword(base, l, grp, codes[static_cast<size_t>(i * l.groups + grp)])[j % l.g];
    };

    Matrix permuted;
    std::vector<int32_t> perm; // column axis: perm[j] = original column at position j
    std::vector<int64_t> criticalRows; // row axis, ascending
    std::vector<double> importance;
    if (l.critical > 0 && !l.rowAxis) {
        // 2. Column importance: the f-weighted mean squared residual of each column.
        importance.assign(static_cast<size_t>(dim), 0.0);
        double weightSum = 0;
        for (int64_t i = 0; i < rows; ++i) {
            const double f = weightOf(weights, i);
            weightSum += f;
            for (int64_t j = 0; j < dim; ++j) {
                const double r = residualOf(e, i, j);
                importance[static_cast<size_t>(j)] += f * r * r;
            }
        }
        for (double& v : importance)
            v = weightSum > 0 ? v / weightSum : 0.0;
        perm.resize(static_cast<size_t>(dim));
        std::iota(perm.begin(), perm.end(), 0);
        std::stable_sort(perm.begin(), perm.end(), [&](int32_t a, int32_t b) {
            return importance[static_cast<size_t>(a)] > importance[static_cast<size_t>(b)];
        });
        permuted = Matrix(rows, dim);
        for (int64_t i = 0; i < rows; ++i)
            for (int64_t j = 0; j < dim; ++j)
                permuted.at(i, j) = e.at(i, perm[static_cast<size_t>(j)]);
        // The groups changed: refit the base on the permuted table.
        base = fitBase(permuted, weights, l, t.spec, mixSeed(control.seed, 1), control, threads, "crvq: base k-means");
        codes = encodeBase(permuted, base, l, threads, control);
    } else if (l.critical > 0) {
        // 2'. Row importance f_t * ||e_t - ê_t||^2; the top rows, ties to the lower index.
        importance.assign(static_cast<size_t>(rows), 0.0);
        for (int64_t i = 0; i < rows; ++i) {
            double s = 0;
            for (int64_t j = 0; j < dim; ++j) {
                const double r = residualOf(e, i, j);
                s += r * r;
            }
            importance[static_cast<size_t>(i)] = weightOf(weights, i) * s;
        }
        std::vector<int64_t> order(static_cast<size_t>(rows));
        std::iota(order.begin(), order.end(), int64_t(0));
        std::partial_sort(order.begin(), order.begin() + l.critical, order.end(), [&](int64_t a, int64_t b) {
            const double x = importance[static_cast<size_t>(a)], y = importance[static_cast<size_t>(b)];
            return x > y || (x == y && a < b);
        });
        criticalRows.assign(order.begin(), order.begin() + l.critical);
        std::sort(criticalRows.begin(), criticalRows.end());
    }
    const Matrix& x = l.critical > 0 && !l.rowAxis ? permuted : e;

    StoredArray baseCodes { "codes", "codes", budget.items[0].label, StorageType::UInt, l.b, { rows, l.groups }, {},
        {} };
    StoredArray baseBooks { "codebooks", "codebook", budget.items[1].label, l.precision.type, l.precision.bits(),
        { l.positions, l.k, l.g }, {}, {} };
    for (const Matrix& m : base)
        baseBooks.floats.insert(baseBooks.floats.end(), m.values.begin(), m.values.end());

    nlohmann::json info = { { "criticalCount", l.critical }, { "criticalCountRaised", l.raised } };
    if (l.critical > 0) {
        // 3. Critical vectors: (row, group) pairs, and the residual the base leaves in them.
        const int64_t perRow = l.rowAxis ? l.groups : l.critical;
        const int64_t critRows = l.rowAxis ? l.critical : rows;
        const auto rowOf = [&](int64_t m) { return l.rowAxis ? criticalRows[static_cast<size_t>(m)] : m; };
        Matrix residual(critRows * perRow, l.g);
        std::vector<float> residualWeights;
        if (!weights.empty())
            residualWeights.reserve(static_cast<size_t>(critRows * perRow));
        for (int64_t m = 0; m < critRows; ++m) {
            const int64_t i = rowOf(m);
            for (int64_t p = 0; p < perRow; ++p) {
                const float* cw = baseCodeword(base, l, p, codes[static_cast<size_t>(i * l.groups + p)]);
                float* dst = residual.row(m * perRow + p);
                for (int64_t j = 0; j < l.g; ++j)
                    dst[j] = x.at(i, p * l.g + j) - cw[j];
                if (!weights.empty())
                    residualWeights.push_back(weights[static_cast<size_t>(i)]);
            }
        }
        ResidualTrainingOptions to;
        to.stageSizes.assign(static_cast<size_t>(l.ext), l.k);
        to.kmeans = kmeansOptionsOf(t.spec);
        to.kmeans.seed = mixSeed(control.seed, 2);
        to.kmeans.threads = threads;
        to.store = [&l](Matrix& m) { l.precision.round(m); };
        to.kmeans.onIteration
            = kmeansProgress(control, "crvq: extended k-means", static_cast<double>(l.ext) * to.kmeans.maxIterations);
        const ResidualTrainingResult ext = trainResidualCodebooks(residual, residualWeights, to, control);

        // 4. Joint beam encoding of every critical group over [base, extended 1..E].
        Matrix critical; // row axis: the critical rows gathered
        if (l.rowAxis) {
            critical = Matrix(critRows, dim);
            for (int64_t m = 0; m < critRows; ++m)
                std::copy_n(x.row(rowOf(m)), dim, critical.row(m));
        }
        const MatrixView points = l.rowAxis ? MatrixView(critical) : MatrixView(x);
        StoredArray extCodes { "extCodes", "codes", budget.items[2].label, StorageType::UInt, l.b,
            { critRows, perRow, l.ext }, {}, {} };
        extCodes.ints.resize(static_cast<size_t>(critRows * perRow * l.ext));
        const int stages = 1 + l.ext;
        std::vector<int32_t> joint(static_cast<size_t>(critRows * stages));
        std::vector<float> err(static_cast<size_t>(critRows));
        double criticalError = 0;
        for (int64_t p = 0; p < perRow; ++p) {
            std::vector<MatrixView> books { MatrixView(base[static_cast<size_t>(l.shared ? 0 : p)]) };
            for (const Matrix& m : ext.codebooks)
                books.emplace_back(m);
            const ResidualEncoder encoder(books);
            encoder.encode(points.columns(p * l.g, l.g), l.beam, joint.data(), stages, err.data(), threads, &control);
            for (int64_t m = 0; m < critRows; ++m) {
                const int32_t* c = joint.data() + m * stages;
                codes[static_cast<size_t>(rowOf(m) * l.groups + p)] = c[0];
                std::copy_n(c + 1, l.ext, extCodes.ints.data() + (m * perRow + p) * l.ext);
                criticalError += err[static_cast<size_t>(m)];
            }
            control.report("crvq: encode", static_cast<double>(p + 1) / static_cast<double>(perRow));
        }
        StoredArray extBooks { "extCodebooks", "codebook", budget.items[3].label, l.precision.type, l.precision.bits(),
            { l.ext, l.k, l.g }, {}, {} };
        for (const Matrix& m : ext.codebooks)
            extBooks.floats.insert(extBooks.floats.end(), m.values.begin(), m.values.end());

        info["extendedStageObjective"] = ext.stageObjective;
        info["extendedTrainingVectors"] = ext.trainingPoints;
        info["criticalSquaredError"] = criticalError;
        if (!l.rowAxis)
            info["columnImportance"] = importance; // by original column
        baseCodes.ints = std::move(codes);
        t.addArray(std::move(baseCodes));
        t.addArray(std::move(baseBooks));
        t.addArray(std::move(extCodes));
        t.addArray(std::move(extBooks));
        if (l.rowAxis) {
            StoredArray ids { "rowIds", "other", budget.items[4].label, StorageType::UInt, l.indexBits, { l.critical },
                {}, {} };
            for (const int64_t i : criticalRows)
                ids.ints.push_back(static_cast<int32_t>(i));
            t.addArray(std::move(ids));
        } else {
            t.addArray({ "permutation", "permutation", budget.items[4].label, StorageType::UInt, l.indexBits, { dim },
                {}, perm });
        }
    } else {
        baseCodes.ints = std::move(codes);
        t.addArray(std::move(baseCodes));
        t.addArray(std::move(baseBooks));
    }
    t.info = std::move(info);
    return t;
}

void CrvqQuantizer::decodeRows(const QuantizedTable& table, std::span<const int64_t> rowIds, float* out) const
{
    const Layout l = layoutOf(table.spec, table.rows, table.dim);
    const StoredArray& codes = table.array("codes");
    const StoredArray& books = table.array("codebooks");
    const auto malformed = [](const std::string& what) { throw Error(ErrorKind::Malformed, "", "crvq: " + what); };
    if (codes.ints.size() != static_cast<size_t>(table.rows * l.groups)
        || books.floats.size() != static_cast<size_t>(l.positions * l.k * l.g))
        malformed("stored arrays do not match the table shape and parameters");
    const StoredArray* extCodes = nullptr;
    const StoredArray* extBooks = nullptr;
    const StoredArray* ids = nullptr;
    std::vector<int32_t> perm;
    const int64_t perRow = l.rowAxis ? l.groups : l.critical;
    if (l.critical > 0) {
        extCodes = &table.array("extCodes");
        extBooks = &table.array("extCodebooks");
        const int64_t critRows = l.rowAxis ? l.critical : table.rows;
        if (extCodes->ints.size() != static_cast<size_t>(critRows * perRow * l.ext)
            || extBooks->floats.size() != static_cast<size_t>(l.ext * l.k * l.g))
            malformed("extended arrays do not match the table shape and parameters");
        if (l.rowAxis) {
            ids = &table.array("rowIds");
            if (ids->ints.size() != static_cast<size_t>(l.critical))
                malformed("critical row ids do not match the parameters");
            for (size_t m = 0; m < ids->ints.size(); ++m)
                if (ids->ints[m] < 0 || ids->ints[m] >= table.rows || (m > 0 && ids->ints[m] <= ids->ints[m - 1]))
                    malformed("critical row ids are not ascending row numbers");
        } else {
            perm = table.array("permutation").ints;
            std::vector<bool> seen(static_cast<size_t>(table.dim), false);
            if (perm.size() != static_cast<size_t>(table.dim))
                malformed("the column permutation does not match the row length");
            for (const int32_t c : perm) {
                if (c < 0 || c >= table.dim || seen[static_cast<size_t>(c)])
                    malformed("the column permutation is not a permutation");
                seen[static_cast<size_t>(c)] = true;
            }
        }
    }
    const auto checkCode = [&](int32_t c) {
        if (c < 0 || c >= l.k)
            malformed("code " + std::to_string(c) + " out of range");
    };
    std::vector<float> y(static_cast<size_t>(table.dim));
    for (size_t n = 0; n < rowIds.size(); ++n) {
        const int64_t r = rowIds[n];
        if (r < 0 || r >= table.rows)
            throw Error(ErrorKind::InvalidArgument, "", "crvq: row " + std::to_string(r) + " out of range");
        // The row's index among the extended ones, or -1.
        int64_t m = -1;
        if (l.critical > 0 && !l.rowAxis)
            m = r;
        else if (ids) {
            const auto it = std::lower_bound(ids->ints.begin(), ids->ints.end(), static_cast<int32_t>(r));
            if (it != ids->ints.end() && *it == r)
                m = it - ids->ints.begin();
        }
        for (int64_t p = 0; p < l.groups; ++p) {
            float* dst = y.data() + p * l.g;
            std::fill(dst, dst + l.g, 0.0f);
            const int32_t c = codes.ints[static_cast<size_t>(r * l.groups + p)];
            checkCode(c);
            const float* cw = books.floats.data() + ((l.shared ? 0 : p) * l.k + c) * l.g;
            // Summed base first, then extended stage by stage, as ResidualEncoder::decode does.
            for (int64_t j = 0; j < l.g; ++j)
                dst[j] += cw[j];
            if (m < 0 || p >= perRow)
                continue;
            for (int s = 0; s < l.ext; ++s) {
                const int32_t ec = extCodes->ints[static_cast<size_t>((m * perRow + p) * l.ext + s)];
                checkCode(ec);
                const float* ew = extBooks->floats.data() + (s * l.k + ec) * l.g;
                for (int64_t j = 0; j < l.g; ++j)
                    dst[j] += ew[j];
            }
        }
        float* o = out + static_cast<int64_t>(n) * table.dim;
        if (perm.empty())
            std::copy(y.begin(), y.end(), o);
        else
            for (int64_t j = 0; j < table.dim; ++j)
                o[perm[static_cast<size_t>(j)]] = y[static_cast<size_t>(j)];
    }
}

std::vector<CodeArrayLayout> CrvqQuantizer::codeLayouts(const QuantizedTable& table) const
{
    const Layout l = layoutOf(table.spec, table.rows, table.dim);
    CodeLayout base;
    base.rows = table.rows;
    base.groups = static_cast<int>(l.groups);
    base.stages = 1;
    base.bits = l.b;
    base.sharedAcrossGroups = l.shared;
    std::vector<CodeArrayLayout> layouts { { "codes", base } };
    if (l.critical == 0)
        return layouts;
    // Stored [critical rows][groups per row][E], CodeLayout's default order.
    CodeLayout ext;
    ext.rows = l.rowAxis ? l.critical : table.rows;
    ext.groups = static_cast<int>(l.rowAxis ? l.groups : l.critical);
    ext.stages = l.ext;
    ext.bits = l.b;
    ext.sharedAcrossGroups = true;
    layouts.push_back({ "extCodes", ext });
    return layouts;
}

std::vector<std::string> CrvqQuantizer::keyParameters() const
{
    return { "g", "b", "lambda", "E" };
}

// crvq: one base codebook summed from zero, then in the critical groups the extended codebooks
// (CrvqQuantizer::decodeRows), scattered back through the column permutation (column axis) or added in
// the critical rows only (row axis).
void CrvqQuantizer::fillReferenceLayout(const QuantizedTable& t, ReferenceLayout& r) const
{
    vq_layout& l = r.layout;
    bindCodes(t, r, t.array("codes"));
    l.group_dim = static_cast<int32_t>(t.spec.getInt("g"));
    l.codebooks = 1;
    l.sum_from_zero = 1;
    l.codebook_kind = VQ_CODEBOOK_TABLE;
    l.codebook_entries = int64_t(1) << t.spec.getInt("b");
    l.codebook_shared = t.spec.getBool("shared") ? 1 : 0;
    bindValues(t.array("codebooks"), l.codebook_values, r.codebookBits, r.codebookFloats);
    const StoredArray* extCodes = t.findArray("extCodes");
    if (extCodes == nullptr)
        return; // no critical groups: the base VQ alone
    const StoredArray& ext = *extCodes;
    if (ext.shape.size() != 3)
        refuseLayout(t, "extCodes is not critical rows x groups x codebooks");
    l.ext_codebooks = static_cast<int32_t>(ext.shape[2]);
    l.ext_groups = ext.shape[1];
    bindPacked(t, ext, l.ext_codes, r.extCodes);
    bindValues(t.array("extCodebooks"), l.ext_codebook_values, r.extCodebookBits, r.extCodebookFloats);
    if (t.spec.getString("axis") == "row") {
        const StoredArray& ids = t.array("rowIds");
        bindPacked(t, ids, l.ext_rows, r.extRows);
        l.ext_row_count = static_cast<int64_t>(ids.ints.size());
    } else {
        bindPacked(t, t.array("permutation"), l.permutation, r.permutation);
    }
}

} // namespace vq

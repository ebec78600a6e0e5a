#include "quant/methods/aqlm.h"

#include "common/error.h"
#include "common/halffloat.h"
#include "export/referencelayout.h"
#include "quant/additivebeamsearch.h"
#include "quant/codebookleastsquares.h"
#include "quant/methods/vqshared.h"
#include "quant/residualencoder.h"
#include "quant/residualtrainer.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>

namespace vq {

namespace {

constexpr float kHalfMax = 65504.0f;
// Below this many training vectors per codeword k-means codebooks over-fit (the FAISS rule of thumb).
constexpr double kMinVectorsPerCodeword = 39.0;

struct Layout {
    int M = 2; // codebooks
    int B = 8; // bits per code
    int64_t K = 256; // codewords per codebook
    int64_t g = 8; // columns per group
    int64_t groups = 0; // per row
    int beam = 1;
    bool scales = true;
    int maxRounds = 20;
    double tolerance = 0.01;
    int initIterations = 25;
    int64_t sampleCap = 256;
    int sweeps = 4;
};

Layout layoutOf(const QuantSpec& r, int64_t dim)
{
    Layout l;
    l.M = static_cast<int>(r.getInt("M"));
    l.B = static_cast<int>(r.getInt("B"));
    l.K = int64_t(1) << l.B;
    l.g = r.getInt("g");
    l.groups = dim / l.g;
    l.beam = static_cast<int>(r.getInt("beam"));
    l.scales = r.getBool("scales");
    l.maxRounds = static_cast<int>(r.getInt("maxRounds"));
    l.tolerance = r.getFloat("tolerance");
    l.initIterations = static_cast<int>(r.getInt("initIterations"));
    l.sweeps = static_cast<int>(r.getInt("sweeps"));
    l.sampleCap = r.getInt("sampleCap");
    return l;
}

float toHalfClamped(double v)
{
    return roundToHalf(
        static_cast<float>(std::clamp(v, -static_cast<double>(kHalfMax), static_cast<double>(kHalfMax))));
}

float roundCodebookValue(float v)
{
    return roundToHalf(std::clamp(v, -kHalfMax, kHalfMax));
}

std::string fixed(double v, int digits)
{
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

// What is fitted: codes, codebooks, scales.
struct State {
    Matrix codebooks; // M*K x g, fp16 values
    std::vector<int32_t> codes; // rows * groups * M
    std::vector<float> scales; // rows (fp16 values); empty when scales are off
};

// Decoded row (dim values) the way decodeRows() does it: codewords summed in codebook order, then scaled.
// codebooks: M*K x g values, row-major. books < M sums the first `books` codebooks only (0: zeros).
void decodeRow(const Layout& l, const float* codebooks, const int32_t* codes, const float* scale, float* out, int books)
{
    if (books == 0) {
        std::fill(out, out + l.groups * l.g, 0.0f);
        return;
    }
    for (int64_t p = 0; p < l.groups; ++p) {
        const int32_t* a = codes + p * l.M;
        float* o = out + p * l.g;
        std::copy_n(codebooks + a[0] * l.g, l.g, o);
        for (int m = 1; m < books; ++m) {
            const float* c = codebooks + (m * l.K + a[m]) * l.g;
            for (int64_t j = 0; j < l.g; ++j)
                o[j] += c[j];
        }
    }
    if (scale)
        for (int64_t j = 0; j < l.groups * l.g; ++j)
            out[j] *= *scale;
}

void decodeRow(const Layout& l, const float* codebooks, const int32_t* codes, const float* scale, float* out)
{
    decodeRow(l, codebooks, codes, scale, out, l.M);
}

class Fitter {
public:
    Fitter(const Layout& l, const FitInput& in, RunControl& control)
        : m_l(l)
        , m_e(in.table)
        , m_f(in.weights)
        , m_control(control)
        , m_threads(control.threads > 0 ? control.threads : omp_get_max_threads())
    {
        double den = 0.0;
        for (int64_t t = 0; t < m_e.rows; ++t) {
            double rowEnergy = 0.0;
            for (int64_t j = 0; j < m_e.cols; ++j)
                rowEnergy += static_cast<double>(m_e.at(t, j)) * m_e.at(t, j);
            den += rowWeight(t) * rowEnergy;
        }
        m_energy = den;
    }

    // Weighted squared error of the state over the weighted energy of the table (the weighted relMSE).
    double objective(const State& s) const
    {
        std::vector<double> err(static_cast<size_t>(m_e.rows));
#pragma omp parallel num_threads(m_threads)
        {
            std::vector<float> d(static_cast<size_t>(m_e.cols));
#pragma omp for schedule(static)
            for (int64_t t = 0; t < m_e.rows; ++t) {
                decodeRow(m_l, s.codebooks.values.data(), s.codes.data() + t * m_l.groups * m_l.M,
                    s.scales.empty() ? nullptr : &s.scales[static_cast<size_t>(t)], d.data());
                double acc = 0.0;
                const float* e = m_e.row(t);
                for (int64_t j = 0; j < m_e.cols; ++j) {
                    const double diff = static_cast<double>(e[j]) - static_cast<double>(d[static_cast<size_t>(j)]);
                    acc += diff * diff;
                }
                err[static_cast<size_t>(t)] = acc;
            }
        }
        double sum = 0.0;
        for (int64_t t = 0; t < m_e.rows; ++t)
            sum += rowWeight(t) * err[static_cast<size_t>(t)];
        return m_energy > 0.0 ? sum / m_energy : 0.0;
    }

    // Targets (rows divided by their scale) and per-row weights f_t s_t^2 for the current scales.
    void prepareTargets(const State& s)
    {
        if (!m_l.scales) {
            m_w.assign(m_f.begin(), m_f.end());
            return;
        }
        m_y = Matrix(m_e.rows, m_e.cols);
        m_w.resize(static_cast<size_t>(m_e.rows));
        for (int64_t t = 0; t < m_e.rows; ++t) {
            const float sc = s.scales[static_cast<size_t>(t)];
            const float* e = m_e.row(t);
            float* y = m_y.row(t);
            for (int64_t j = 0; j < m_e.cols; ++j)
                y[j] = sc != 0.0f ? e[j] / sc : 0.0f;
            m_w[static_cast<size_t>(t)] = static_cast<float>(rowWeight(t) * static_cast<double>(sc) * sc);
        }
    }

    MatrixView groupVectors() const
    {
        const Matrix& src = m_l.scales ? m_y : m_e;
        return { src.values.data(), src.rows * m_l.groups, m_l.g, m_l.g };
    }

    State initialise(nlohmann::json& info)
    {
        State s;
        if (m_l.scales) {
            s.scales.resize(static_cast<size_t>(m_e.rows));
            for (int64_t t = 0; t < m_e.rows; ++t)
                s.scales[static_cast<size_t>(t)]
                    = toHalfClamped(std::sqrt(static_cast<double>(squaredNorm(m_e.row(t), m_e.cols))));
        }
        prepareTargets(s);
        const MatrixView x = groupVectors();

        std::vector<float> pointWeights;
        if (!m_w.empty()) {
            pointWeights.resize(static_cast<size_t>(x.rows));
            for (int64_t i = 0; i < x.rows; ++i)
                pointWeights[static_cast<size_t>(i)] = m_w[static_cast<size_t>(i / m_l.groups)];
        }
        ResidualTrainingOptions o;
        o.stageSizes.assign(static_cast<size_t>(m_l.M), m_l.K);
        o.kmeans.maxIterations = m_l.initIterations;
        o.kmeans.seed = m_control.seed;
        o.kmeans.threads = m_control.threads;
        o.kmeans.stage = "aqlm: residual k-means";
        o.kmeans.maxPointsPerCentroid = m_l.sampleCap;
        o.beamWidth = m_l.beam;
        o.store = [](Matrix& c) {
            for (float& v : c.values)
                v = roundCodebookValue(v);
        };
        ResidualTrainingResult init = trainResidualCodebooks(x, pointWeights, o, m_control);
        info["initTrainingVectors"] = init.trainingPoints;
        info["initStageObjective"] = init.stageObjective;

        s.codebooks = Matrix(m_l.M * m_l.K, m_l.g);
        std::vector<MatrixView> views;
        for (int m = 0; m < m_l.M; ++m) {
            std::copy(init.codebooks[static_cast<size_t>(m)].values.begin(),
                init.codebooks[static_cast<size_t>(m)].values.end(), s.codebooks.row(m * m_l.K));
            views.emplace_back(init.codebooks[static_cast<size_t>(m)]);
        }
        s.codes.resize(static_cast<size_t>(x.rows * m_l.M));
        m_control.report("aqlm: initial codes", 0.0);
        ResidualEncoder(views).encode(x, m_l.beam, s.codes.data(), m_l.M, nullptr, m_control.threads, &m_control);
        m_control.report("aqlm: initial codes", 1.0);
        return s;
    }

    void round(State& s, int r, nlohmann::json& roundInfo)
    {
        const std::string suffix = " (round " + std::to_string(r) + ")";
        const AdditiveBeamSearch search(s.codebooks, m_l.M);
        search.refine(groupVectors(), m_l.beam, s.codes.data(), nullptr, m_control, "aqlm: assign codes" + suffix);

        m_control.report("aqlm: update codebooks" + suffix, 0.0);
        const CodebookUpdateResult cu = updateCodebooksLeastSquares(groupVectors(), s.codes.data(), m_l.M, m_w,
            m_l.groups, m_l.sweeps, s.codebooks, &roundCodebookValue, m_control);
        m_control.report("aqlm: update codebooks" + suffix, 1.0);
        roundInfo["unusedCodewords"] = cu.unusedCodewords;
        roundInfo["jointLeastSquares"] = cu.joint;
        roundInfo["gramSearch"] = search.usesGram();

        if (m_l.scales) {
#pragma omp parallel num_threads(m_threads)
            {
                std::vector<float> d(static_cast<size_t>(m_e.cols));
#pragma omp for schedule(static)
                for (int64_t t = 0; t < m_e.rows; ++t) {
                    decodeRow(
                        m_l, s.codebooks.values.data(), s.codes.data() + t * m_l.groups * m_l.M, nullptr, d.data());
                    double num = 0.0, den = 0.0;
                    const float* e = m_e.row(t);
                    for (int64_t j = 0; j < m_e.cols; ++j) {
                        const double dj = d[static_cast<size_t>(j)];
                        num += static_cast<double>(e[j]) * dj;
                        den += dj * dj;
                    }
                    s.scales[static_cast<size_t>(t)] = den > 0.0 ? toHalfClamped(num / den) : 0.0f;
                }
            }
            prepareTargets(s);
        }
        m_control.throwIfCancelled();
    }

private:
    double rowWeight(int64_t t) const
    {
        return m_f.empty() ? 1.0 : static_cast<double>(m_f[static_cast<size_t>(t)]);
    }

    const Layout& m_l;
    const Matrix& m_e;
    std::span<const float> m_f;
    RunControl& m_control;
    int m_threads;
    double m_energy = 0.0;
    Matrix m_y; // rows divided by their scales (scales on)
    std::vector<float> m_w; // per-row weights of the normalised objective; empty: uniform
};

void checkInput(const FitInput& in)
{
    checkFitInput(in, "aqlm");
    const Matrix& e = in.table;
    for (int64_t t = 0; t < e.rows; ++t)
        for (int64_t j = 0; j < e.cols; ++j)
            if (!std::isfinite(e.at(t, j)))
                throw Error(ErrorKind::InvalidArgument, {},
                    "aqlm: value " + std::to_string(e.at(t, j)) + " at row " + std::to_string(t) + ", column "
                        + std::to_string(j) + " is not finite");
}

} // namespace

std::string AqlmQuantizer::description() const
{
    return "Additive quantization in the style of AQLM: every group of g columns is the sum of M codewords, one "
           "from each of M shared codebooks of 2^B vectors, and every row has an fp16 scale. Codebooks start "
           "from residual k-means, then codes (beam search) and codebooks (least squares) are refitted in turn "
           "until the error stops improving. 2x8 g8 gives about 2 bits per parameter on a large table.";
}

const ParamSchema& AqlmQuantizer::schema() const
{
    using T = ParamDef::Type;
    static const ParamSchema s { {
        { "M", T::Int, 1, 8, 2, {}, "number of codebooks; each group is the sum of M codewords", false },
        { "B", T::Int, 1, 16, 8, {}, "bits per code: each codebook holds 2^B codewords", false },
        { "g", T::Int, 1, 1024, 8, {}, "columns per group (codeword dimension); must divide the row length", false },
        { "beam", T::Int, 1, 64, 1, {}, "beam width of the code search (1: greedy, as the reference code)", false },
        { "scales", T::Bool, 0, 0, true, {}, "per-row fp16 scale, rows normalised before fitting", false },
        { "maxRounds", T::Int, 0, 1000, 20, {}, "at most this many rounds of code, codebook and scale updates", false },
        { "tolerance", T::Float, 0, 1, 0.01, {}, "stop when a round improves the error by less than this fraction",
            true },
        { "initIterations", T::Int, 1, 1000, 25, {},
            "k-means iterations per codebook of the residual k-means initialisation", false },
        { "sweeps", T::Int, 1, 100, 4, {},
            "block coordinate descent sweeps over the codebooks per codebook update (M > 1 with more than 2048 "
            "codewords in all; smaller sets are solved jointly)",
            false },
        { "sampleCap", T::Int, 0, 1048576, 256, {},
            "training vectors per codeword at most for the residual k-means initialisation (seeded sample; 0: all)",
            true },
    } };
    return s;
}

std::vector<Preset> AqlmQuantizer::presets() const
{
    const auto preset = [](const char* label, int M, int B, int g, int beam = 1) {
        QuantSpec spec { "aqlm", { { "M", M }, { "B", B }, { "g", g } } };
        if (beam > 1)
            spec.params["beam"] = beam;
        return Preset { label, spec };
    };
    // The beam presets: on GloVe (96 columns) beam 8 lowers 2x8 g8's error by 11% for about 6x the fit
    // time, and 3x8 g16 is the best aqlm at about 1.6 bits (README, bench_quality.py --additive).
    return { preset("AQLM 1x16 g8", 1, 16, 8), preset("AQLM 2x8 g8", 2, 8, 8), preset("AQLM 1x8 g8", 1, 8, 8),
        preset("AQLM 2x8 g8 beam 8", 2, 8, 8, 8), preset("AQLM 3x8 g16 beam 8 (~1.5 bits)", 3, 8, 16, 8) };
}

QuantSpec AqlmQuantizer::validate(const QuantSpec& spec, int64_t rows, int64_t dim) const
{
    QuantSpec r = Quantizer::validate(spec, rows, dim);
    const int64_t g = r.getInt("g");
    requireDividesRow("aqlm", "g", g, dim);
    const int64_t vectors = rows * (dim / g);
    const int64_t k = int64_t(1) << r.getInt("B");
    if (k > vectors)
        throw Error(ErrorKind::InvalidArgument, {},
            "aqlm: parameter 'B' = " + std::to_string(r.getInt("B")) + " asks for " + std::to_string(k)
                + " codewords per codebook, more than the table's " + std::to_string(vectors) + " groups of "
                + std::to_string(g) + " columns" + largestBitsText(vectors));
    return r;
}

BitBudget AqlmQuantizer::estimate(const QuantSpec& spec, int64_t rows, int64_t dim) const
{
    const Layout l = layoutOf(validate(spec, rows, dim), dim);
    BitBudget b;
    b.rows = rows;
    b.dim = dim;
    const auto n = static_cast<uint64_t>(rows);
    b.add("codes (" + std::to_string(l.M) + " x " + std::to_string(l.B) + " bits per " + std::to_string(l.g)
            + " columns)",
        "codes", n * static_cast<uint64_t>(l.groups) * static_cast<uint64_t>(l.M) * static_cast<uint64_t>(l.B));
    b.add("codebooks (fp16, " + std::to_string(l.M) + " x " + std::to_string(l.K) + " x " + std::to_string(l.g) + ")",
        "codebook", 16ull * static_cast<uint64_t>(l.M) * static_cast<uint64_t>(l.K) * static_cast<uint64_t>(l.g));
    if (l.scales)
        b.add("row scales (fp16)", "scale", 16ull * n);
    return b;
}

std::vector<std::string> AqlmQuantizer::warnings(const QuantSpec& spec, int64_t rows, int64_t dim) const
{
    const QuantSpec r = validate(spec, rows, dim);
    const Layout l = layoutOf(r, dim);
    std::vector<std::string> out;
    const int64_t vectors = rows * l.groups;
    const double perCodeword = static_cast<double>(vectors) / static_cast<double>(l.K);
    if (perCodeword < kMinVectorsPerCodeword)
        out.push_back("aqlm: " + std::to_string(vectors) + " groups for " + std::to_string(l.K)
            + " codewords per codebook: " + fixed(perCodeword, 1)
            + " training vectors per codeword, under about 39; the codebooks will over-fit this table");
    const BitBudget b = estimate(r, rows, dim);
    const uint64_t codeBits = b.items[0].bits;
    const uint64_t codebookBits = b.items[1].bits;
    if (codebookBits > codeBits) {
        const double params = static_cast<double>(rows) * static_cast<double>(dim);
        out.push_back("aqlm: the codebooks cost " + fixed(static_cast<double>(codebookBits) / params, 3)
            + " bits/param, more than the codes they index (" + fixed(static_cast<double>(codeBits) / params, 3)
            + " bits/param); on a table this small, smaller codebooks (lower 'B', more codebooks 'M') spend the "
              "bits better");
    }
    if (l.beam > 1 && l.M == 1)
        out.push_back("aqlm: 'beam' = " + std::to_string(l.beam)
            + " has no effect with a single codebook (the nearest codeword is exact)");
    return out;
}

QuantizedTable AqlmQuantizer::fit(const FitInput& input, const QuantSpec& spec, RunControl& control) const
{
    const Matrix& e = input.table;
    QuantizedTable t = beginFit(*this, input, spec);
    const Layout l = layoutOf(t.spec, e.cols);
    const BitBudget budget = estimate(t.spec, e.rows, e.cols);
    checkInput(input);

    Fitter fitter(l, input, control);
    nlohmann::json info = nlohmann::json::object();
    State s = fitter.initialise(info);
    double previous = fitter.objective(s);
    std::vector<double> history { previous };
    State best = s;
    double bestObjective = previous;
    int rounds = 0;
    std::string stop = "maxRounds";
    nlohmann::json perRound = nlohmann::json::array();
    for (int r = 1; r <= l.maxRounds; ++r) {
        nlohmann::json ri = nlohmann::json::object();
        fitter.round(s, r, ri);
        const double obj = fitter.objective(s);
        history.push_back(obj);
        perRound.push_back(ri);
        rounds = r;
        if (obj < bestObjective) {
            best = s;
            bestObjective = obj;
        }
        const double improvement = previous > 0.0 ? (previous - obj) / previous : 0.0;
        previous = obj;
        if (improvement < l.tolerance) {
            stop = "tolerance";
            break;
        }
    }

    StoredArray codes { "codes", "codes", budget.items[0].label, StorageType::UInt, l.B, { e.rows, l.groups, l.M },
        std::vector<float> {}, std::move(best.codes) };
    StoredArray codebooks { "codebooks", "codebook", budget.items[1].label, StorageType::F16, 16, { l.M, l.K, l.g },
        std::move(best.codebooks.values), std::vector<int32_t> {} };
    t.addArray(std::move(codes));
    t.addArray(std::move(codebooks));
    if (l.scales)
        t.addArray(StoredArray { "scales", "scale", budget.items[2].label, StorageType::F16, 16, { e.rows },
            std::move(best.scales), std::vector<int32_t> {} });

    info["objective"] = history; // weighted relMSE after the initialisation and after each round
    info["bestObjective"] = bestObjective;
    info["rounds"] = rounds;
    info["stoppedBy"] = stop;
    info["perRound"] = perRound;
    info["warnings"] = warnings(t.spec, e.rows, e.cols);
    t.info = std::move(info);
    return t;
}

void AqlmQuantizer::decodeRows(const QuantizedTable& table, std::span<const int64_t> rowIds, float* out) const
{
    decodePartial(table, rowIds, static_cast<int>(table.spec.getInt("M")), out);
}

void AqlmQuantizer::decodePartial(
    const QuantizedTable& table, std::span<const int64_t> rowIds, int steps, float* out) const
{
    const Layout l = layoutOf(table.spec, table.dim);
    checkDecodeSteps("aqlm", steps, static_cast<size_t>(l.M));
    const StoredArray& codes = table.array("codes");
    const StoredArray& codebooks = table.array("codebooks");
    const StoredArray* scales = l.scales ? &table.array("scales") : nullptr;
    if (codes.ints.size() != static_cast<size_t>(table.rows * l.groups * l.M)
        || codebooks.floats.size() != static_cast<size_t>(l.M * l.K * l.g)
        || (scales && scales->floats.size() != static_cast<size_t>(table.rows)))
        throw Error(ErrorKind::Malformed, {}, "aqlm: stored arrays do not match the table shape and parameters");
    const int64_t perRow = l.groups * l.M;
    for (size_t i = 0; i < rowIds.size(); ++i) {
        const int64_t r = rowIds[i];
        if (r < 0 || r >= table.rows)
            throw Error(ErrorKind::InvalidArgument, {}, "aqlm: row " + std::to_string(r) + " out of range");
        const int32_t* a = codes.ints.data() + r * perRow;
        for (int64_t c = 0; c < perRow; ++c)
            if (a[c] < 0 || a[c] >= l.K)
                throw Error(ErrorKind::Malformed, {},
                    "aqlm: code " + std::to_string(a[c]) + " of row " + std::to_string(r) + " outside a codebook of "
                        + std::to_string(l.K) + " codewords");
        decodeRow(l, codebooks.floats.data(), a, scales ? &scales->floats[static_cast<size_t>(r)] : nullptr,
            out + static_cast<int64_t>(i) * table.dim, steps);
    }
}

std::vector<CodeArrayLayout> AqlmQuantizer::codeLayouts(const QuantizedTable& table) const
{
    // Codes are stored [rows][groups][M]; each of the M codebooks serves every group position.
    const Layout l = layoutOf(table.spec, table.dim);
    CodeLayout c;
    c.rows = table.rows;
    c.groups = static_cast<int>(l.groups);
    c.stages = l.M;
    c.bits = l.B;
    c.sharedAcrossGroups = true;
    return { { "codes", c } };
}

std::vector<std::string> AqlmQuantizer::keyParameters() const
{
    return { "M", "B", "g" };
}

// aqlm: M codebooks shared by every group position, summed from the first codeword (not from zero),
// then multiplied by the row's scale (AqlmQuantizer::decodeRows).
void AqlmQuantizer::fillReferenceLayout(const QuantizedTable& t, ReferenceLayout& r) const
{
    vq_layout& l = r.layout;
    bindCodes(t, r, t.array("codes"));
    l.group_dim = static_cast<int32_t>(t.spec.getInt("g"));
    l.codebooks = static_cast<int32_t>(t.spec.getInt("M"));
    l.codebook_kind = VQ_CODEBOOK_TABLE;
    l.codebook_entries = int64_t(1) << t.spec.getInt("B");
    l.codebook_shared = 1;
    bindValues(t.array("codebooks"), l.codebook_values, r.codebookBits, r.codebookFloats);
    if (t.spec.getBool("scales")) {
        l.scale_cols = t.dim;
        bindValues(t.array("scales"), l.scales, r.scaleBits, r.scaleFloats);
    }
}

std::vector<CodebookSource> AqlmQuantizer::codebookSources(const QuantizedTable& table) const
{
    const Layout l = layoutOf(table.spec, table.dim);
    CodebookSource s = contiguousCodebookSource(
        "codes", codeLayouts(table).front().layout, "codebooks", l.g, [&l](int m, int) { return m * l.K * l.g; });
    if (l.scales)
        s.rowScaleArray = "scales";
    return { s };
}

std::vector<DecodeStep> AqlmQuantizer::decodeSteps(const QuantizedTable& table) const
{
    const bool scaled = table.spec.getBool("scales");
    std::vector<DecodeStep> steps;
    for (int m = 0; m < static_cast<int>(table.spec.getInt("M")); ++m)
        steps.push_back({ "codebook " + std::to_string(m + 1) + (scaled ? " (scaled)" : ""), 0, m });
    return steps;
}

} // namespace vq

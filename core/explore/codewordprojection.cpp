#include "explore/codewordprojection.h"

#include "common/error.h"
#include "metrics/rowsample.h"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <string>

namespace vq {

namespace {

constexpr int kMaxIterations = 1000;
constexpr double kTolerance = 1e-9;
// Rows per block of the reduction X^T U: blocks are summed in block order whatever the thread count.
constexpr int64_t kBlockRows = 1024;

struct Points {
    const float* values;
    int64_t count;
    int64_t width;
    const std::vector<double>& mean;
    int threads;
};

// Y = C V / 1 for the p columns of V (width x p, column j at V[j * width]): C = X^T X / N of the centred
// points, formed as X^T (X V) without C.
std::vector<double> covarianceTimes(const Points& x, const std::vector<double>& v, int p)
{
    const int64_t w = x.width;
    const int64_t blocks = (x.count + kBlockRows - 1) / kBlockRows;
    std::vector<double> partial(static_cast<size_t>(blocks * w * p), 0.0);
#pragma omp parallel for schedule(static) num_threads(x.threads)
    for (int64_t b = 0; b < blocks; ++b) {
        double* acc = partial.data() + b * w * p;
        std::vector<double> centred(static_cast<size_t>(w));
        const int64_t end = std::min(x.count, (b + 1) * kBlockRows);
        for (int64_t i = b * kBlockRows; i < end; ++i) {
            const float* row = x.values + i * w;
            for (int64_t k = 0; k < w; ++k)
                centred[static_cast<size_t>(k)] = static_cast<double>(row[k]) - x.mean[static_cast<size_t>(k)];
            for (int j = 0; j < p; ++j) {
                const double* col = v.data() + j * w;
                double u = 0;
                for (int64_t k = 0; k < w; ++k)
                    u += centred[static_cast<size_t>(k)] * col[k];
                double* out = acc + j * w;
                for (int64_t k = 0; k < w; ++k)
                    out[k] += centred[static_cast<size_t>(k)] * u;
            }
        }
    }
    std::vector<double> y(static_cast<size_t>(w * p), 0.0);
    for (int64_t b = 0; b < blocks; ++b)
        for (size_t k = 0; k < y.size(); ++k)
            y[k] += partial[static_cast<size_t>(b * w * p) + k];
    for (double& value : y)
        value /= static_cast<double>(x.count);
    return y;
}

double dot(const double* a, const double* b, int64_t n)
{
    double s = 0;
    for (int64_t i = 0; i < n; ++i)
        s += a[i] * b[i];
    return s;
}

// Modified Gram-Schmidt on the p columns of v (width each). A column that vanishes (the points span
// fewer directions) is replaced by the first unit vector that is not in the span of the earlier ones.
void orthonormalise(std::vector<double>& v, int64_t w, int p)
{
    for (int j = 0; j < p; ++j) {
        double* col = v.data() + j * w;
        const auto reduce = [&] {
            for (int i = 0; i < j; ++i) {
                const double* prev = v.data() + i * w;
                const double d = dot(col, prev, w);
                for (int64_t k = 0; k < w; ++k)
                    col[k] -= d * prev[k];
            }
            return std::sqrt(dot(col, col, w));
        };
        const double before = std::sqrt(dot(col, col, w));
        double norm = reduce();
        for (int64_t e = 0; e < w && !(norm > 1e-12 * std::max(before, 1.0)); ++e) {
            std::fill(col, col + w, 0.0);
            col[e] = 1;
            norm = reduce();
            if (norm < 0.5)
                norm = 0;
        }
        for (int64_t k = 0; k < w; ++k)
            col[k] /= norm;
    }
}

// Eigenvalues (descending) and eigenvectors (columns of q, p x p row-major: q[r * p + c]) of the
// symmetric p x p matrix h, by cyclic Jacobi rotations.
void symmetricEigen(std::vector<double> h, int p, std::vector<double>& values, std::vector<double>& q)
{
    q.assign(static_cast<size_t>(p * p), 0.0);
    for (int i = 0; i < p; ++i)
        q[static_cast<size_t>(i * p + i)] = 1;
    const auto at = [&](std::vector<double>& m, int r, int c) -> double& { return m[static_cast<size_t>(r * p + c)]; };
    for (int sweep = 0; sweep < 100; ++sweep) {
        double off = 0;
        for (int r = 0; r < p; ++r)
            for (int c = r + 1; c < p; ++c)
                off += at(h, r, c) * at(h, r, c);
        if (off < 1e-300)
            break;
        for (int r = 0; r < p; ++r) {
            for (int c = r + 1; c < p; ++c) {
                const double hrc = at(h, r, c);
                if (hrc == 0)
                    continue;
                const double theta = (at(h, c, c) - at(h, r, r)) / (2 * hrc);
                const double t = (theta >= 0 ? 1 : -1) / (std::abs(theta) + std::sqrt(theta * theta + 1));
                const double cs = 1 / std::sqrt(t * t + 1);
                const double sn = t * cs;
                for (int k = 0; k < p; ++k) {
                    const double hkr = at(h, k, r), hkc = at(h, k, c);
                    at(h, k, r) = cs * hkr - sn * hkc;
                    at(h, k, c) = sn * hkr + cs * hkc;
                }
                for (int k = 0; k < p; ++k) {
                    const double hrk = at(h, r, k), hck = at(h, c, k);
                    at(h, r, k) = cs * hrk - sn * hck;
                    at(h, c, k) = sn * hrk + cs * hck;
                }
                for (int k = 0; k < p; ++k) {
                    const double qkr = at(q, k, r), qkc = at(q, k, c);
                    at(q, k, r) = cs * qkr - sn * qkc;
                    at(q, k, c) = sn * qkr + cs * qkc;
                }
            }
        }
    }
    std::vector<int> order(static_cast<size_t>(p));
    for (int i = 0; i < p; ++i)
        order[static_cast<size_t>(i)] = i;
    std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return at(h, a, a) > at(h, b, b); });
    std::vector<double> sortedQ(q.size());
    values.resize(static_cast<size_t>(p));
    for (int j = 0; j < p; ++j) {
        const int from = order[static_cast<size_t>(j)];
        values[static_cast<size_t>(j)] = at(h, from, from);
        for (int r = 0; r < p; ++r)
            sortedQ[static_cast<size_t>(r * p + j)] = q[static_cast<size_t>(r * p + from)];
    }
    q = std::move(sortedQ);
}

// Columns of a (width x p, column-major as above) times q (p x p): the rotated basis.
std::vector<double> rotate(const std::vector<double>& a, int64_t w, int p, const std::vector<double>& q)
{
    std::vector<double> out(a.size(), 0.0);
    for (int j = 0; j < p; ++j)
        for (int i = 0; i < p; ++i) {
            const double f = q[static_cast<size_t>(i * p + j)];
            for (int64_t k = 0; k < w; ++k)
                out[static_cast<size_t>(j * w + k)] += f * a[static_cast<size_t>(i * w + k)];
        }
    return out;
}

void fixSign(double* axis, int64_t w)
{
    int64_t best = 0;
    for (int64_t k = 1; k < w; ++k)
        if (std::abs(axis[k]) > std::abs(axis[best]))
            best = k;
    if (axis[best] < 0)
        for (int64_t k = 0; k < w; ++k)
            axis[k] = -axis[k];
}

} // namespace

void PcaProjection::project(const float* point, float* xy) const
{
    for (int a = 0; a < 2; ++a) {
        double s = 0;
        const double* axis = axes.data() + a * width;
        for (int64_t k = 0; k < width; ++k)
            s += (static_cast<double>(point[k]) - mean[static_cast<size_t>(k)]) * axis[k];
        xy[a] = static_cast<float>(s);
    }
}

PcaProjection fitPca2(const float* points, int64_t count, int64_t width, uint64_t seed, int threads)
{
    if (count < 1 || width < 1)
        throw Error(ErrorKind::InvalidArgument, "",
            "projection: " + std::to_string(count) + " points of width " + std::to_string(width)
                + " (need at least one point of width >= 1)");
    PcaProjection out;
    out.width = width;
    out.points = count;
    out.mean.assign(static_cast<size_t>(width), 0.0);
    for (int64_t i = 0; i < count; ++i)
        for (int64_t k = 0; k < width; ++k) {
            const float v = points[i * width + k];
            if (!std::isfinite(v))
                throw Error(ErrorKind::InvalidArgument, "",
                    "projection: value " + std::to_string(v) + " of point " + std::to_string(i) + " is not finite");
            out.mean[static_cast<size_t>(k)] += v;
        }
    for (double& m : out.mean)
        m /= static_cast<double>(count);
    for (int64_t i = 0; i < count; ++i)
        for (int64_t k = 0; k < width; ++k) {
            const double d = points[i * width + k] - out.mean[static_cast<size_t>(k)];
            out.totalVariance += d * d;
        }
    out.totalVariance /= static_cast<double>(count);

    const int p = static_cast<int>(std::min<int64_t>(width, 4));
    const Points x { points, count, width, out.mean, threads > 0 ? threads : omp_get_max_threads() };
    std::vector<double> v(static_cast<size_t>(width * p));
    SplitMix64 random(seed);
    for (double& value : v)
        value = static_cast<double>(random.next() >> 11) / static_cast<double>(uint64_t(1) << 53) * 2 - 1;
    orthonormalise(v, width, p);

    std::vector<double> values, q, ritz;
    for (int it = 1; it <= kMaxIterations; ++it) {
        out.iterations = it;
        const std::vector<double> y = covarianceTimes(x, v, p);
        std::vector<double> h(static_cast<size_t>(p * p));
        for (int r = 0; r < p; ++r)
            for (int c = 0; c < p; ++c)
                h[static_cast<size_t>(r * p + c)] = 0.5
                    * (dot(v.data() + r * width, y.data() + c * width, width)
                        + dot(v.data() + c * width, y.data() + r * width, width));
        symmetricEigen(h, p, values, q);
        ritz = rotate(v, width, p, q);
        std::vector<double> next = rotate(y, width, p, q);
        // Converged when each of the leading two Ritz vectors a satisfies C a = lambda a closely enough.
        double residual = 0;
        for (int j = 0; j < std::min(p, 2); ++j) {
            double r2 = 0;
            for (int64_t k = 0; k < width; ++k) {
                const double d = next[static_cast<size_t>(j * width + k)]
                    - values[static_cast<size_t>(j)] * ritz[static_cast<size_t>(j * width + k)];
                r2 += d * d;
            }
            residual = std::max(residual, std::sqrt(r2));
        }
        if (residual <= kTolerance * std::max(values[0], 0.0) || out.totalVariance == 0) {
            out.converged = true;
            break;
        }
        orthonormalise(next, width, p);
        v = std::move(next);
    }

    out.axes.assign(static_cast<size_t>(2 * width), 0.0);
    for (int j = 0; j < std::min(p, 2); ++j) {
        std::copy_n(ritz.data() + j * width, width, out.axes.data() + j * width);
        fixSign(out.axes.data() + j * width, width);
        out.variance[j] = std::max(values[static_cast<size_t>(j)], 0.0);
    }
    return out;
}

} // namespace vq

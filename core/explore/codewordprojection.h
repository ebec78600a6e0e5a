#pragma once

#include <cstdint>
#include <vector>

namespace vq {

// A 2-D principal-component projection of points in R^width: the two directions along which the points
// vary most, found by subspace iteration on the centred points (no width x width covariance is formed,
// so wide codewords cost memory in proportion to the points only).
struct PcaProjection {
    int64_t width = 0;
    int64_t points = 0; // how many points it was fitted on
    std::vector<double> mean; // width values
    // Two axes, row-major (2 x width), orthonormal, the first of larger variance. The sign of each axis makes
    // its largest-magnitude component positive (the first such component on a tie). With width 1 the second
    // axis is all zero; when the points vary in fewer than two directions an axis may carry no variance.
    std::vector<double> axes;
    double variance[2] = { 0, 0 }; // variance of the points along each axis (covariance eigenvalues, 1/N)
    double totalVariance = 0; // trace of the covariance: the variance of all directions together
    int iterations = 0; // subspace iterations until the top two directions settled
    bool converged = false;

    // The two coordinates of a point (width floats): (p - mean) . axis.
    void project(const float* point, float* xy) const;
};

// Fits the projection to `count` points of `width` floats (row-major). The start subspace is drawn from
// `seed`; the result depends on the seed only, not on `threads` (OpenMP threads for the products; 0:
// OpenMP's default), because partial sums are combined in a fixed order. Stops when both axes are
// eigenvectors of the covariance C to within ||C a - lambda a|| <= 1e-9 lambda_1 (or after 1000
// iterations; converged says which).
// Throws Error(InvalidArgument) for count < 1 or width < 1, and for non-finite values.
PcaProjection fitPca2(const float* points, int64_t count, int64_t width, uint64_t seed, int threads);

} // namespace vq

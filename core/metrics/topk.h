#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

namespace vq::detail {

struct Candidate {
    float score;
    int64_t row;
};

// "a ranks below b": a lower score, or the same score and a larger row index. Ranking ties by the
// smaller index makes every top-k list deterministic.
inline bool ranksBelow(const Candidate& a, const Candidate& b)
{
    return a.score < b.score || (a.score == b.score && a.row > b.row);
}

// The k best candidates offered so far, in a bounded heap whose front is the weakest of them.
// NaN scores must not be offered (they have no rank).
class TopK {
public:
    explicit TopK(int k)
        : m_k(static_cast<size_t>(k))
    {
        m_items.reserve(m_k);
    }

    void offer(float score, int64_t row)
    {
        const Candidate c { score, row };
        if (m_items.size() < m_k) {
            m_items.push_back(c);
            std::push_heap(m_items.begin(), m_items.end(), ranksAbove);
        } else if (ranksBelow(m_items.front(), c)) {
            std::pop_heap(m_items.begin(), m_items.end(), ranksAbove);
            m_items.back() = c;
            std::push_heap(m_items.begin(), m_items.end(), ranksAbove);
        }
    }

    // Rows best first, -1 padded to k.
    void write(int64_t* out) const
    {
        std::vector<Candidate> sorted = m_items;
        std::sort(sorted.begin(), sorted.end(), ranksAbove);
        for (size_t i = 0; i < m_k; ++i)
            out[i] = i < sorted.size() ? sorted[i].row : -1;
    }

private:
    // With this as the heap's "less", std::*_heap keeps the weakest candidate at the front.
    static bool ranksAbove(const Candidate& a, const Candidate& b) { return ranksBelow(b, a); }

    size_t m_k;
    std::vector<Candidate> m_items;
};

// |a ∩ b| for two lists of k row indices each (-1 pads do not count).
inline int64_t overlap(const int64_t* a, const int64_t* b, int k)
{
    std::vector<int64_t> x(a, a + k);
    std::vector<int64_t> y(b, b + k);
    std::sort(x.begin(), x.end());
    std::sort(y.begin(), y.end());
    int64_t common = 0;
    for (size_t i = 0, j = 0; i < x.size() && j < y.size();) {
        if (x[i] < y[j]) {
            ++i;
        } else if (y[j] < x[i]) {
            ++j;
        } else {
            common += x[i] >= 0 ? 1 : 0;
            ++i;
            ++j;
        }
    }
    return common;
}

} // namespace vq::detail

#include "common/error.h"
#include "common/halffloat.h"
#include "export/reference_decoder/vq_decode.h"
#include "export/referencelayout.h"
#include "quant/bitpack.h"
#include "quant/methods/carvq.h"
#include "quant/methods/ggmlblock.h"
#include "quant/registry.h"
#include "quantchecks.h"
#include "testutil.h"

#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <cmath>
#include <cstring>
#include <fstream>
#include <sstream>

namespace {

// The first 600 rows and 96 columns of GloVe: enough rows for every method's codebooks, fast to fit,
// and a width most group sizes divide.
const vq::Matrix& glove()
{
    static const vq::Matrix m = vqtest::readNpySlice(vqtest::sharedPath("glove-20k.npy"), 600, 96);
    return m;
}

// Every spec a method offers that fits its table (its defaults and its presets), plus a few that reach
// other storage paths (unsigned codes, offsets, small groups, importance-weighted blocks).
std::vector<vq::QuantSpec> specsOf(const vq::Quantizer& q, const vq::Matrix& table)
{
    std::vector<vq::QuantSpec> candidates { vq::QuantSpec { q.name(), nlohmann::json::object() } };
    for (const vq::Preset& p : q.presets())
        candidates.push_back(p.spec);
    if (q.name() == "crvq") {
        // Both axes with several critical groups (rows), per-position base codebooks, and no critical part.
        candidates.push_back({ "crvq", { { "g", 4 }, { "b", 5 }, { "lambda", 0.1 }, { "E", 2 } } });
        candidates.push_back({ "crvq",
            { { "g", 4 }, { "b", 4 }, { "lambda", 0.05 }, { "E", 2 }, { "axis", "row" }, { "shared", false } } });
        candidates.push_back(
            { "crvq", { { "g", 8 }, { "b", 4 }, { "lambda", 0.1 }, { "E", 1 }, { "codebook", "bf16" } } });
        candidates.push_back({ "crvq", { { "g", 8 }, { "b", 6 }, { "E", 0 } } });
    }
    if (q.name() == "rtn") {
        candidates.push_back({ "rtn", { { "bits", 3 }, { "group", 24 }, { "mode", "asym" } } });
        candidates.push_back({ "rtn", { { "bits", 2 }, { "group", 4 }, { "mode", "sym" } } });
        candidates.push_back({ "rtn", { { "bits", 8 }, { "group", 48 }, { "mode", "asym" } } });
    }
    if (q.schema().find("importance"))
        candidates.push_back({ q.name(), { { "importance", vqtest::dataPath("ggml/imatrix-256.npy") } } });
    std::vector<vq::QuantSpec> specs;
    for (const vq::QuantSpec& s : candidates) {
        try {
            specs.push_back(q.validate(s, table.rows, table.cols));
        } catch (const vq::Error&) {
            // a preset sized for real checkpoints (group 128 does not divide 96), an importance vector of
            // another width
        }
    }
    return specs;
}

// The adaptor term a deployment adds to the reference decoder's output (carvq); empty for other methods.
std::vector<float> addendOf(const vq::QuantizedTable& t, const std::vector<int64_t>& rows)
{
    if (t.spec.method != "carvq")
        return {};
    std::vector<float> addend(rows.size() * static_cast<size_t>(t.dim), 0.0f);
    vq::addCarvqAdaptor(t, rows, addend.data());
    return addend;
}

std::string firstDifference(const std::vector<float>& a, const std::vector<float>& b)
{
    if (a.size() != b.size())
        return "sizes differ";
    for (size_t i = 0; i < a.size(); ++i)
        if (std::memcmp(&a[i], &b[i], sizeof(float)) != 0)
            return "element " + std::to_string(i) + ": " + std::to_string(a[i]) + " vs " + std::to_string(b[i]);
    return {};
}

std::vector<float> referenceDecode(const vq_layout& l, const std::vector<int64_t>& rows, const float* addend = nullptr)
{
    std::vector<float> out(rows.size() * static_cast<size_t>(l.dim));
    const int status = vq_decode_rows(&l, rows.data(), rows.size(), addend, out.data());
    if (status != VQ_OK)
        throw std::runtime_error(vq_status_text(status));
    return out;
}

std::vector<float> vqscopeDecode(const vq::QuantizedTable& t, const std::vector<int64_t>& rows)
{
    std::vector<float> out(rows.size() * static_cast<size_t>(t.dim));
    t.decodeRows(rows, out.data());
    return out;
}

} // namespace

class TestReferenceDecoder : public QObject {
    Q_OBJECT
private slots:
    // Every method in the registry has a reference layout, and the C decoder gives vqscope's floats bit
    // for bit, for every preset that fits the table.
    void everyMethodDecodesIdentically()
    {
        int checked = 0;
        int crvqColumns = 0; // crvq tables with a permutation and extended codes
        int crvqRows = 0; // crvq tables with critical rows
        int blockSpecs = 0; // llama.cpp block formats
        for (const vq::Quantizer* q : vq::allQuantizers()) {
            // GloVe's first 96 columns, or ggml's 128 x 256 table for methods that need 256 columns
            const vq::Matrix& table = vqtest::realTableFor(*q, glove());
            const std::vector<vq::QuantSpec> specs = specsOf(*q, table);
            QVERIFY2(!specs.empty(), q->name().c_str());
            for (const vq::QuantSpec& spec : specs) {
                const vq::QuantizedTable t = vqtest::fitWith(*q, table, spec, 7, 0);
                const auto ref = vq::makeReferenceLayout(t);
                std::vector<int64_t> rows(static_cast<size_t>(t.rows));
                for (int64_t r = 0; r < t.rows; ++r)
                    rows[static_cast<size_t>(r)] = r;
                std::vector<float> addend = addendOf(t, rows);
                std::string diff
                    = firstDifference(referenceDecode(ref->layout, rows, addend.empty() ? nullptr : addend.data()),
                        vqscopeDecode(t, rows));
                QVERIFY2(diff.empty(), (spec.toJson().dump() + ": " + diff).c_str());
                const std::vector<int64_t> scattered { t.rows - 1, 0, 17, 17, t.rows / 2, 1 };
                addend = addendOf(t, scattered);
                diff
                    = firstDifference(referenceDecode(ref->layout, scattered, addend.empty() ? nullptr : addend.data()),
                        vqscopeDecode(t, scattered));
                QVERIFY2(diff.empty(), (spec.toJson().dump() + ": " + diff).c_str());
                ++checked;
                if (ref->layout.ext_codebooks > 0)
                    ++(ref->layout.permutation.data != nullptr ? crvqColumns : crvqRows);
                if (dynamic_cast<const vq::GgmlBlockQuantizer*>(q))
                    ++blockSpecs;
            }
        }
        QVERIFY(checked >= 5); // rtn alone: defaults, the per-row preset and 3 more
        QCOMPARE(crvqColumns, 4); // defaults, the paper preset, and two more
        QCOMPARE(crvqRows, 2); // the rows preset and one with per-position base codebooks
        // q2_K ... q6_K and iq4_xs on 256 columns: defaults, preset and with importance; q8_0, q4_0, q4_1,
        // q5_0, q5_1, iq4_nl on 96 columns: defaults and preset (their importance vector has 256 weights).
        QCOMPARE(blockSpecs, 6 * 3 + 6 * 2);
    }

    void addendIsAddedLast()
    {
        const vq::QuantizedTable t
            = vqtest::fitWith(vq::quantizer("rtn"), glove(), { "rtn", { { "bits", 3 }, { "mode", "asym" } } }, 1, 0);
        const auto ref = vq::makeReferenceLayout(t);
        const std::vector<int64_t> rows { 5, 2 };
        std::vector<float> addend(192);
        for (size_t i = 0; i < addend.size(); ++i)
            addend[i] = 0.001f * static_cast<float>(i) - 0.05f;
        const std::vector<float> got = referenceDecode(ref->layout, rows, addend.data());
        std::vector<float> expected = vqscopeDecode(t, rows);
        for (size_t i = 0; i < expected.size(); ++i)
            expected[i] = expected[i] + addend[i];
        const std::string diff = firstDifference(got, expected);
        QVERIFY2(diff.empty(), diff.c_str());
    }

    // Table codebooks summed over two codebooks per group, one set per group, then a per-row scale: the
    // shape of residual and additive methods, with values small enough that every sum is exact.
    void tableCodebooksByHand()
    {
        // 2 rows, dim 4, group_dim 2 (2 groups), 2 codebooks of 2 entries each, per group position.
        // codebook value (set s, codebook c, entry e, i) = 8s + 4c + 2e + i + 1, as fp16.
        std::vector<uint16_t> books(2 * 2 * 2 * 2);
        for (int s = 0; s < 2; ++s)
            for (int c = 0; c < 2; ++c)
                for (int e = 0; e < 2; ++e)
                    for (int i = 0; i < 2; ++i)
                        books[static_cast<size_t>(((s * 2 + c) * 2 + e) * 2 + i)]
                            = vq::floatToHalf(static_cast<float>(8 * s + 4 * c + 2 * e + i + 1));
        // codes (row, group, codebook): row 0: (0,0)=1 (0,1)=0 (1,0)=0 (1,1)=1; row 1: 0 1 1 1
        const std::vector<uint32_t> codeValues { 1, 0, 0, 1, 0, 1, 1, 1 };
        const std::vector<uint8_t> codes = vq::packUnsigned(codeValues, 1);
        const std::vector<uint16_t> scales { vq::floatToBf16(0.5f), vq::floatToBf16(-2.0f) };
        vq_layout l {};
        l.rows = 2;
        l.dim = 4;
        l.group_dim = 2;
        l.codebooks = 2;
        l.codes = codes.data();
        l.codes_bytes = codes.size();
        l.code_bits = 1;
        l.codebook_kind = VQ_CODEBOOK_TABLE;
        l.codebook_values = { books.data(), VQ_F16, books.size() };
        l.codebook_entries = 2;
        l.codebook_shared = 0;
        l.scales = { scales.data(), VQ_BF16, scales.size() };
        l.scale_cols = 4;
        // row 0: group 0 = book(0,0,1) + book(0,1,0) = (3,4) + (5,6) = (8,10);
        //        group 1 = book(1,0,0) + book(1,1,1) = (9,10) + (15,16) = (24,26); times 0.5
        // row 1: group 0 = (1,2) + (7,8) = (8,10); group 1 = (11,12) + (15,16) = (26,28); times -2
        const std::vector<float> expected { 4, 5, 12, 13, -16, -20, -52, -56 };
        QVERIFY(referenceDecode(l, { 0, 1 }) == expected);

        l.codebook_shared = 1; // set 0 for both groups: row 0 group 1 = (1,2) + (7,8) = (8,10)
        l.codebook_values.count = 8;
        QVERIFY(referenceDecode(l, { 0 }) == std::vector<float>({ 4, 5, 4, 5 }));
    }

    // A codeword of -0.0 stays -0.0 when copied and becomes +0.0 when added to a zeroed sum.
    void sumFromZeroDecidesTheSignOfZero()
    {
        const std::vector<uint8_t> codes { 0x00 };
        const std::vector<float> book { -0.0f, 1.0f };
        vq_layout l {};
        l.rows = 1;
        l.dim = 2;
        l.group_dim = 2;
        l.codebooks = 1;
        l.codes = codes.data();
        l.codes_bytes = 1;
        l.code_bits = 1;
        l.codebook_kind = VQ_CODEBOOK_TABLE;
        l.codebook_values = { book.data(), VQ_F32, 2 };
        l.codebook_entries = 1;
        l.codebook_shared = 1;
        QVERIFY(std::signbit(referenceDecode(l, { 0 })[0]));
        l.sum_from_zero = 1;
        QVERIFY(!std::signbit(referenceDecode(l, { 0 })[0]));
    }

    void refusesBadInput()
    {
        const vq::QuantizedTable t = vqtest::fitWith(vq::quantizer("rtn"), glove(), { "rtn", {} }, 1, 0);
        const auto ref = vq::makeReferenceLayout(t);
        float out[96];
        const int64_t outside = 600;
        QCOMPARE(vq_decode_rows(&ref->layout, &outside, 1, nullptr, out), int(VQ_ERR_ROW));
        const int64_t negative = -1;
        QCOMPARE(vq_decode_rows(&ref->layout, &negative, 1, nullptr, out), int(VQ_ERR_ROW));

        vq_layout shortCodes = ref->layout;
        shortCodes.codes_bytes -= 1;
        const int64_t zero = 0;
        QCOMPARE(vq_decode_rows(&shortCodes, &zero, 1, nullptr, out), int(VQ_ERR_LAYOUT));
        vq_layout fewScales = ref->layout;
        fewScales.scales.count -= 1;
        QCOMPARE(vq_check_layout(&fewScales), int(VQ_ERR_LAYOUT));
        vq_layout badGroup = ref->layout;
        badGroup.scale_cols = 30; // does not divide 96
        QCOMPARE(vq_check_layout(&badGroup), int(VQ_ERR_LAYOUT));
        QCOMPARE(vq_check_layout(nullptr), int(VQ_ERR_LAYOUT));

        // A code past its codebook: 2 entries, code 3.
        const std::vector<uint8_t> codes { 0x03 };
        const std::vector<float> book { 1, 2 };
        vq_layout l {};
        l.rows = 1;
        l.dim = 1;
        l.group_dim = 1;
        l.codebooks = 1;
        l.codes = codes.data();
        l.codes_bytes = 1;
        l.code_bits = 2;
        l.codebook_kind = VQ_CODEBOOK_TABLE;
        l.codebook_values = { book.data(), VQ_F32, 2 };
        l.codebook_entries = 2;
        l.codebook_shared = 1;
        QCOMPARE(vq_decode_rows(&l, &zero, 1, nullptr, out), int(VQ_ERR_CODE));

        // crvq: a permutation that repeats a column, critical rows out of order.
        const vq::QuantizedTable c = vqtest::fitWith(vq::quantizer("crvq"), glove(),
            { "crvq", { { "g", 4 }, { "b", 4 }, { "lambda", 0.1 }, { "E", 1 } } }, 1, 0);
        const auto crvq = vq::makeReferenceLayout(c);
        QCOMPARE(vq_decode_rows(&crvq->layout, &zero, 1, nullptr, out), int(VQ_OK));
        std::vector<uint8_t> repeated = crvq->permutation;
        vq_layout badPermutation = crvq->layout;
        badPermutation.permutation.data = repeated.data();
        const std::vector<int32_t> columns = vq::unpackInts(repeated, badPermutation.permutation.bits, 96, false);
        std::vector<int32_t> twice = columns;
        twice[5] = twice[6];
        repeated = vq::packInts(twice, badPermutation.permutation.bits, false);
        badPermutation.permutation.data = repeated.data();
        QCOMPARE(vq_check_layout(&badPermutation), int(VQ_OK)); // every entry is a column ...
        QCOMPARE(vq_decode_rows(&badPermutation, &zero, 1, nullptr, out), int(VQ_ERR_LAYOUT)); // ... one twice
        twice[5] = 96;
        repeated = vq::packInts(twice, badPermutation.permutation.bits, false);
        badPermutation.permutation.data = repeated.data();
        QCOMPARE(vq_check_layout(&badPermutation), int(VQ_ERR_LAYOUT)); // past the last column
        vq_layout fewExtCodes = crvq->layout;
        fewExtCodes.ext_codes.bytes -= 1;
        QCOMPARE(vq_check_layout(&fewExtCodes), int(VQ_ERR_LAYOUT));
        vq_layout tooManyGroups = crvq->layout;
        tooManyGroups.ext_groups = 25;
        QCOMPARE(vq_check_layout(&tooManyGroups), int(VQ_ERR_LAYOUT));

        const vq::QuantizedTable rowAxis = vqtest::fitWith(vq::quantizer("crvq"), glove(),
            { "crvq", { { "g", 4 }, { "b", 4 }, { "lambda", 0.05 }, { "E", 1 }, { "axis", "row" } } }, 1, 0);
        const auto rowRef = vq::makeReferenceLayout(rowAxis);
        QCOMPARE(rowRef->layout.ext_row_count, int64_t(30));
        std::vector<int32_t> ids = rowAxis.array("rowIds").ints;
        std::swap(ids[3], ids[4]);
        const std::vector<uint8_t> swapped = vq::packInts(ids, rowRef->layout.ext_rows.bits, false);
        vq_layout unordered = rowRef->layout;
        unordered.ext_rows.data = swapped.data();
        QCOMPARE(vq_check_layout(&unordered), int(VQ_ERR_LAYOUT));

        vq::QuantizedTable unknown = t;
        unknown.spec.method = "nosuch";
        QVERIFY_THROWS_EXCEPTION(vq::Error, vq::makeReferenceLayout(unknown));
    }

    // The header as plain C99 with every warning an error, run: it decodes the same floats as vqscope.
    void compilesAndDecodesAsC99()
    {
        const vq::QuantizedTable t
            = vqtest::fitWith(vq::quantizer("rtn"), vqtest::readNpySlice(vqtest::sharedPath("glove-20k.npy"), 8),
                { "rtn", { { "bits", 3 }, { "group", 20 }, { "mode", "asym" } } }, 1, 0);
        const auto ref = vq::makeReferenceLayout(t);
        const auto list = [](const auto& v) {
            std::ostringstream s;
            for (size_t i = 0; i < v.size(); ++i)
                s << (i ? "," : "") << static_cast<unsigned long>(v[i]) << "u";
            return s.str();
        };
        std::ostringstream program;
        program << "#include \"vq_decode.h\"\n#include <stdio.h>\n"
                << "static const uint8_t codes[] = {" << list(ref->codes) << "};\n"
                << "static const uint16_t scales[] = {" << list(ref->scaleBits) << "};\n"
                << "static const uint16_t mins[] = {" << list(ref->offsetBits) << "};\n"
                << "int main(void)\n{\n"
                << "    vq_layout l;\n    float out[800];\n    int64_t rows[8];\n    int i;\n"
                << "    memset(&l, 0, sizeof l);\n"
                << "    l.rows = 8; l.dim = 100; l.group_dim = 1; l.codebooks = 1;\n"
                << "    l.codes = codes; l.codes_bytes = sizeof codes; l.code_bits = 3; l.code_signed = 0;\n"
                << "    l.codebook_kind = VQ_CODEBOOK_INTEGER; l.scale_cols = 20;\n"
                << "    l.scales.data = scales; l.scales.type = VQ_F16; l.scales.count = 40;\n"
                << "    l.offsets.data = mins; l.offsets.type = VQ_F16; l.offsets.count = 40;\n"
                << "    for (i = 0; i < 8; ++i)\n        rows[i] = 7 - i;\n"
                << "    if (vq_decode_rows(&l, rows, 8, NULL, out) != VQ_OK)\n        return 1;\n"
                << "    for (i = 0; i < 800; ++i) {\n        uint32_t b;\n        memcpy(&b, &out[i], 4);\n"
                << "        printf(\"%08lx\\n\", (unsigned long)b);\n    }\n    return 0;\n}\n";
        QTemporaryDir dir;
        const QString source = dir.filePath(QStringLiteral("decode.c"));
        const QString binary = dir.filePath(QStringLiteral("decode"));
        std::ofstream(source.toStdString()) << program.str();
        const QString include = QString::fromStdString(vqtest::sourcePath("core/export/reference_decoder"));

        QProcess cc;
        cc.start(QStringLiteral(VQ_C_COMPILER),
            { QStringLiteral("-std=c99"), QStringLiteral("-Wall"), QStringLiteral("-Wextra"),
                QStringLiteral("-pedantic"), QStringLiteral("-Werror"), QStringLiteral("-ffp-contract=off"),
                QStringLiteral("-I") + include, source, QStringLiteral("-o"), binary });
        QVERIFY(cc.waitForFinished(60000));
        QVERIFY2(cc.exitStatus() == QProcess::NormalExit && cc.exitCode() == 0, cc.readAllStandardError().constData());

        QProcess run;
        run.start(binary, {});
        QVERIFY(run.waitForFinished(30000));
        QCOMPARE(run.exitCode(), 0);
        const QList<QByteArray> lines = run.readAllStandardOutput().trimmed().split('\n');
        QCOMPARE(lines.size(), qsizetype(800));
        const std::vector<float> expected = vqscopeDecode(t, { 7, 6, 5, 4, 3, 2, 1, 0 });
        for (int i = 0; i < 800; ++i) {
            uint32_t bits = 0;
            std::memcpy(&bits, &expected[static_cast<size_t>(i)], 4);
            QCOMPARE(lines[i].toUInt(nullptr, 16), bits);
        }
    }
};

QTEST_GUILESS_MAIN(TestReferenceDecoder)
#include "tst_referencedecoder.moc"

#include "common/error.h"
#include "explore/codebookaccess.h"
#include "quant/methods/grvq.h"

#include "explorerfixtures.h"

#include <QtTest>

using namespace vq;

namespace {

// Every row rebuilt from the explorer's view alone: for each code array the row has codes in, each
// stage's codeword of each group added at that group's columns, in array then stage order (the order the
// decoders sum in), then multiplied by the row scale. CARVQ's adaptor is not a codebook: its rows are
// compared with the GRVQ part of the decode.
Matrix reassemble(const QuantizedTable& table)
{
    Matrix out(table.rows, table.dim);
    const int arrays = CodebookAccess::arrayCount(table);
    std::vector<double> scale(static_cast<size_t>(table.rows), 1.0);
    // Sum per row in stored order: stored group p of a CRVQ row holds base then extended stages.
    for (int a = 0; a < arrays; ++a) {
        const CodebookAccess access(table, a);
        for (int64_t r = 0; r < access.arrayRows(); ++r) {
            const int64_t t = access.tableRow(r);
            scale[static_cast<size_t>(t)] = access.rowScale(t);
            for (int g = 0; g < access.groups(); ++g) {
                const std::span<const int64_t> cols = access.columns(g);
                for (int s = 0; s < access.stages(); ++s) {
                    const float* cw = access.codeword(s, g, access.code(r, s, g));
                    for (int64_t j = 0; j < access.width(); ++j)
                        out.at(t, cols[static_cast<size_t>(j)]) += cw[j];
                }
            }
        }
    }
    for (int64_t t = 0; t < table.rows; ++t)
        if (scale[static_cast<size_t>(t)] != 1.0)
            for (int64_t j = 0; j < table.dim; ++j)
                out.at(t, j) = static_cast<float>(out.at(t, j) * static_cast<float>(scale[static_cast<size_t>(t)]));
    return out;
}

} // namespace

class TestCodebookAccess : public QObject {
    Q_OBJECT

private slots:
    // The sources agree with codeLayouts() and rebuild the decoder's output exactly.
    void rebuildsTheDecode_data() { vqtest::addExplorerRows(); }
    void rebuildsTheDecode()
    {
        QFETCH(QString, run);
        const QuantizedTable& table = vqtest::explorerRun(run.toStdString());
        const Quantizer& method = quantizer(table.spec.method);
        const std::vector<CodeArrayLayout> layouts = method.codeLayouts(table);
        const std::vector<CodebookSource> sources = method.codebookSources(table);
        QCOMPARE(sources.size(), layouts.size());
        for (size_t a = 0; a < sources.size(); ++a) {
            QCOMPARE(sources[a].array, layouts[a].array);
            QCOMPARE(sources[a].layout.groups, layouts[a].layout.groups);
            QCOMPARE(sources[a].layout.stages, layouts[a].layout.stages);
            QCOMPARE(sources[a].layout.bits, layouts[a].layout.bits);
            QCOMPARE(sources[a].layout.rows, layouts[a].layout.rows);
        }
        const Matrix rebuilt = reassemble(table);
        const Matrix decoded
            = table.spec.method == "carvq" ? [&] {
                  Matrix m(table.rows, table.dim);
                  std::vector<int64_t> ids(static_cast<size_t>(table.rows));
                  for (int64_t i = 0; i < table.rows; ++i)
                      ids[static_cast<size_t>(i)] = i;
                  GrvqQuantizer().decodeRows(table, ids, m.values.data());
                  return m;
              }()
                                           : table.decodeAll();
        for (size_t i = 0; i < decoded.values.size(); ++i)
            if (rebuilt.values[i] != decoded.values[i])
                QFAIL(qPrintable(QStringLiteral("value %1 (row %2): rebuilt %3, decoded %4")
                                     .arg(i)
                                     .arg(i / size_t(table.dim))
                                     .arg(double(rebuilt.values[i]))
                                     .arg(double(decoded.values[i]))));
    }

    void rowMaps()
    {
        const QuantizedTable& rows = vqtest::explorerRun("crvq-rows");
        const CodebookAccess ext(rows, 1);
        const std::vector<int32_t>& ids = rows.array("rowIds").ints;
        QCOMPARE(ext.arrayRows(), int64_t(ids.size()));
        QCOMPARE(ext.arrayRows(), int64_t(60)); // floor(1200 x 0.05)
        for (size_t m = 0; m < ids.size(); ++m) {
            QCOMPARE(ext.tableRow(int64_t(m)), int64_t(ids[m]));
            QCOMPARE(ext.arrayRow(ids[m]), int64_t(m));
        }
        int64_t without = 0;
        for (int64_t t = 0; t < rows.rows; ++t)
            without += ext.arrayRow(t) < 0;
        QCOMPARE(without, rows.rows - 60);
        QCOMPARE(ext.arrayRow(-1), int64_t(-1));
        QCOMPARE(ext.arrayRow(rows.rows), int64_t(-1));

        // Column axis: the two critical groups' columns are the first 8 entries of the permutation.
        const QuantizedTable& cols = vqtest::explorerRun("crvq");
        const CodebookAccess critical(cols, 1);
        QCOMPARE(critical.groups(), 2);
        const std::vector<int32_t>& perm = cols.array("permutation").ints;
        for (int g = 0; g < 2; ++g)
            for (int j = 0; j < 4; ++j)
                QCOMPARE(critical.columns(g)[size_t(j)], int64_t(perm[size_t(g * 4 + j)]));
    }

    void refusesBadRequests()
    {
        const QuantizedTable& pq = vqtest::explorerRun("pq");
        QVERIFY_THROWS_EXCEPTION(Error, CodebookAccess(pq, 1));
        try {
            CodebookAccess(pq, 1);
        } catch (const Error& e) {
            QCOMPARE(e.kind(), ErrorKind::InvalidArgument);
            QVERIFY2(QString::fromStdString(e.message()).contains(QStringLiteral("1 code array")), e.what());
        }
        const CodebookAccess access(pq, 0);
        QVERIFY_THROWS_EXCEPTION(Error, access.checkSelection(1, 0, true));
        QVERIFY_THROWS_EXCEPTION(Error, access.checkSelection(0, 8, true));
        // Per-position codebooks cannot be pooled; a shared one can.
        QVERIFY_THROWS_EXCEPTION(Error, access.checkSelection(0, -1, true));
        CodebookAccess(vqtest::explorerRun("pq-shared"), 0).checkSelection(0, -1, true);
        CodebookAccess(vqtest::explorerRun("aqlm"), 0).checkSelection(1, -1, true);

        // A method without codebooks has no code arrays.
        const QuantizedTable rtn = vqtest::fitWith(quantizer("rtn"), vqtest::explorerTable(),
            QuantSpec { "rtn", { { "bits", 4 }, { "group", 0 }, { "mode", "sym" } } }, 1, 1);
        QCOMPARE(CodebookAccess::arrayCount(rtn), 0);
        QVERIFY_THROWS_EXCEPTION(Error, CodebookAccess(rtn, 0));
    }

    // Stored arrays that do not match the source are refused, not read past their end.
    void refusesMalformedArrays()
    {
        QuantizedTable broken = vqtest::explorerRun("grvq");
        for (StoredArray& a : broken.arrays)
            if (a.name == "codebooks")
                a.floats.resize(a.floats.size() - 1);
        try {
            CodebookAccess(broken, 0);
            QFAIL("no error");
        } catch (const Error& e) {
            QCOMPARE(e.kind(), ErrorKind::Malformed);
        }
        QuantizedTable badCode = vqtest::explorerRun("grvq");
        for (StoredArray& a : badCode.arrays)
            if (a.name == "codes")
                a.ints[5] = 16;
        const CodebookAccess access(badCode, 0);
        // Code 5 is (row 0, group 1, stage 2) in [rows][groups][stages] order.
        QVERIFY_THROWS_EXCEPTION(Error, access.code(0, 2, 1));
        QCOMPARE(access.code(0, 1, 1), badCode.array("codes").ints[4]);
    }
};

QTEST_GUILESS_MAIN(TestCodebookAccess)
#include "tst_codebookaccess.moc"

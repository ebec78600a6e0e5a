// Every table model of the UI under QAbstractItemModelTester, plus the values they show.
#include "models/outlierdimsmodel.h"
#include "models/percentilemodel.h"
#include "models/tensorlistmodel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>

using namespace vq;

namespace {

TensorInfo tensor(const char* name, DType dtype, std::vector<int64_t> shape, uint64_t bytes)
{
    TensorInfo t;
    t.name = name;
    t.dtype = dtype;
    t.dtypeName = toString(dtype);
    t.shape = std::move(shape);
    t.byteSize = bytes;
    return t;
}

// A safetensors-like listing: two 2-D float candidates (the automatic pick listed second), a 1-D norm.
std::vector<TensorInfo> sampleTensors()
{
    return {
        tensor("lm_head.weight", DType::F16, { 512, 100 }, 102400),
        tensor("model.embed_tokens.weight", DType::BF16, { 512, 100 }, 102400),
        tensor("model.norm.weight", DType::F32, { 100 }, 400),
    };
}

EmbeddingCandidates sampleCandidates()
{
    EmbeddingCandidates c;
    c.names = { "model.embed_tokens.weight", "lm_head.weight" };
    c.chosen = "model.embed_tokens.weight";
    c.reason = "name matches model.embed_tokens.weight";
    return c;
}

} // namespace

class TestUiModels : public QObject {
    Q_OBJECT
private slots:
    void tensorListModel()
    {
        TensorListModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(model.rowCount(), 0);
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        model.setListing(sampleTensors(), sampleCandidates());
        QCOMPARE(reset.count(), 1);
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(model.columnCount(), int(TensorListModel::ColumnCount));

        QCOMPARE(model.rowOf("model.embed_tokens.weight"), 1);
        QCOMPARE(model.rowOf("missing"), -1);
        QCOMPARE(model.index(0, TensorListModel::NameColumn).data().toString(), QStringLiteral("lm_head.weight"));
        QCOMPARE(model.index(1, TensorListModel::DTypeColumn).data().toString(), QStringLiteral("BF16"));
        QCOMPARE(model.index(1, TensorListModel::ShapeColumn).data().toString(), QStringLiteral("512 × 100"));
        QCOMPARE(model.index(1, TensorListModel::SizeColumn).data().toString(), QStringLiteral("100.0 KiB"));
        QCOMPARE(model.index(2, TensorListModel::ShapeColumn).data().toString(), QStringLiteral("100"));

        // The automatic pick is rank 0 wherever it is listed; the other candidate follows; the norm is out.
        QCOMPARE(model.index(1, 0).data(TensorListModel::CandidateRankRole).toInt(), 0);
        QCOMPARE(model.index(0, 0).data(TensorListModel::CandidateRankRole).toInt(), 1);
        QCOMPARE(model.index(2, 0).data(TensorListModel::CandidateRankRole).toInt(), -1);
        QVERIFY(model.index(1, TensorListModel::PickColumn)
                    .data()
                    .toString()
                    .contains(QStringLiteral("name matches model.embed_tokens.weight")));
        QCOMPARE(model.index(2, 0).data(TensorListModel::ElementCountRole).toLongLong(), 100LL);
        QCOMPARE(model.index(0, 0).data(TensorListModel::ByteSizeRole).toULongLong(), 102400ULL);

        QVERIFY(model.flags(model.index(0, 0)) & Qt::ItemIsSelectable);
        QVERIFY(model.flags(model.index(1, 0)) & Qt::ItemIsSelectable);
        QCOMPARE(model.flags(model.index(2, 0)), Qt::NoItemFlags);

        model.setListing({}, {});
        QCOMPARE(model.rowCount(), 0);
    }

    void percentileModel()
    {
        PercentileModel model(QStringLiteral("Row norm"));
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        model.setPercentiles({ { 0, 1.25 }, { 50, 5.5 }, { 99.9, 12345.678 }, { 100, 20 } });
        QCOMPARE(model.rowCount(), 4);
        QCOMPARE(model.columnCount(), int(PercentileModel::ColumnCount));
        QCOMPARE(model.headerData(PercentileModel::ValueColumn, Qt::Horizontal).toString(), QStringLiteral("Row norm"));
        QCOMPARE(model.index(0, PercentileModel::PercentileColumn).data().toString(), QStringLiteral("min"));
        QCOMPARE(model.index(1, PercentileModel::PercentileColumn).data().toString(), QStringLiteral("p50"));
        QCOMPARE(model.index(2, PercentileModel::PercentileColumn).data().toString(), QStringLiteral("p99.9"));
        QCOMPARE(model.index(3, PercentileModel::PercentileColumn).data().toString(), QStringLiteral("max"));
        QCOMPARE(model.index(2, PercentileModel::ValueColumn).data().toString(), QStringLiteral("1.235e+04"));
        QCOMPARE(model.index(2, 0).data(PercentileModel::PercentileRole).toDouble(), 99.9);
        QCOMPARE(model.index(2, 0).data(PercentileModel::ValueRole).toDouble(), 12345.678);
        model.setPercentiles({});
        QCOMPARE(model.rowCount(), 0);
    }

    void outlierDimsModel()
    {
        OutlierDimsModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        QCOMPARE(model.rowCount(), 0);
        auto stats = std::make_shared<TableStats>();
        stats->dim = 4;
        stats->dimMean = { 0.0, 0.5, -3.0, 0.1 };
        stats->dimStd = { 1.0, 1.0, 9.5, 1.0 };
        stats->outlierDims = { 2, 7 }; // 7 has no per-column stats: shown as 0, not a crash
        model.setStats(stats);
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.columnCount(), int(OutlierDimsModel::ColumnCount));
        QCOMPARE(model.index(0, OutlierDimsModel::DimColumn).data().toString(), QStringLiteral("2"));
        QCOMPARE(model.index(0, OutlierDimsModel::MeanColumn).data().toString(), QStringLiteral("-3"));
        QCOMPARE(model.index(0, OutlierDimsModel::StdColumn).data().toString(), QStringLiteral("9.5"));
        QCOMPARE(model.index(0, 0).data(OutlierDimsModel::DimRole).toLongLong(), 2LL);
        QCOMPARE(model.index(0, 0).data(OutlierDimsModel::StdRole).toDouble(), 9.5);
        QCOMPARE(model.index(1, 0).data(OutlierDimsModel::MeanRole).toDouble(), 0.0);
        model.setStats(nullptr);
        QCOMPARE(model.rowCount(), 0);
    }
};

QTEST_MAIN(TestUiModels)
#include "tst_uimodels.moc"

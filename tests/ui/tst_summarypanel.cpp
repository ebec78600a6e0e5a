// SummaryPanel's "Stored as" line: the type the file stores the table in and what it costs per value,
// for block-quantized GGUF tables and plain float files alike.
#include "appcontext.h"
#include "io/embeddingloader.h"
#include "panels/summarypanel.h"
#include "stats/tablestats.h"

#include "testutil.h"

#include <QTest>

using namespace vq;

class TestSummaryPanel : public QObject {
    Q_OBJECT
private slots:
    void storedAs_data()
    {
        QTest::addColumn<QString>("file");
        QTest::addColumn<QString>("expected");
        QTest::newRow("q8_0 gguf") << "table-q8_0.gguf"
                                   << "Q8_0, 8.5 bits/param as stored; 512 × 96 (loaded as float32)";
        QTest::newRow("q4_0 gguf") << "table-q4_0.gguf"
                                   << "Q4_0, 4.5 bits/param as stored; 512 × 96 (loaded as float32)";
        QTest::newRow("bf16 gguf") << "table-bf16.gguf"
                                   << "BF16, 16 bits/param as stored; 512 × 100 (loaded as float32)";
        QTest::newRow("bf16 safetensors") << "table-bf16.safetensors"
                                          << "BF16, 16 bits/param as stored; 512 × 100 (loaded as float32)";
        QTest::newRow("f16 npy") << "table-f16.npy"
                                 << "<f2, 16 bits/param as stored; 512 × 100 (loaded as float32)";
    }
    void storedAs()
    {
        QFETCH(QString, file);
        QFETCH(QString, expected);
        auto table = std::make_shared<EmbeddingTable>(
            loadEmbedding(vqtest::dataPath(file.toStdString()), {}, nullRunControl()));
        auto stats = std::make_shared<TableStats>(computeTableStats(table->values, nullRunControl()));
        AppContext context;
        SummaryPanel panel(&context);
        QVERIFY(panel.fieldText(QStringLiteral("dtype")).isEmpty());
        context.setTable(table, stats);
        QCOMPARE(panel.fieldText(QStringLiteral("dtype")), expected);
    }
};

QTEST_MAIN(TestSummaryPanel)
#include "tst_summarypanel.moc"

// CodebookUsagePanel on real runs (GloVe rows through a RunQueue): the heat map's cells are the run's
// code counts, the sorted usage chart starts at the largest count, the entropy bars and the dead-code
// table are the run's, selectors move the views, codes above 1024 are bucketed, records read back from
// JSON work with or without counts, and scalar methods say they have no codebooks.
#include "appcontext.h"
#include "charts/entropychart.h"
#include "charts/heatmapchart.h"
#include "charts/usagebarchart.h"
#include "models/codebookusagemodel.h"
#include "panels/codebookusagepanel.h"
#include "runners/runqueue.h"

#include "quantchecks.h"
#include "testutil.h"

#include <QAbstractItemModelTester>
#include <QBarSet>
#include <QComboBox>
#include <QLineSeries>
#include <QSignalSpy>
#include <QTest>
#include <algorithm>
#include <random>

using namespace vq;

namespace {

constexpr int kRunTimeoutMs = 120000;
constexpr int64_t kRows = 2000;

std::shared_ptr<const EmbeddingTable> gloveTable(int64_t rows)
{
    auto table = std::make_shared<EmbeddingTable>();
    table->values = vqtest::readNpySlice(vqtest::samplePath("glove-20k.npy"), rows);
    table->source.file = vqtest::samplePath("glove-20k.npy");
    table->source.checksum = tableChecksum(table->values);
    return table;
}

bool waitFinished(QSignalSpy& spy, int count)
{
    while (spy.count() < count)
        if (!spy.wait(kRunTimeoutMs))
            return false;
    return true;
}

int64_t maxCount(const CodeUsage& u)
{
    return *std::max_element(u.counts.begin(), u.counts.end());
}

} // namespace

class TestCodebookUsagePanel : public QObject {
    Q_OBJECT
private:
    AppContext* m_context = nullptr;
    RunQueue* m_queue = nullptr;
    RunKey m_pq = 0;
    RunKey m_grvq = 0;
    RunKey m_rtn = 0;

    const CodebookUsage& usageOf(RunKey key) const
    {
        return m_context->run(key)->record->fullMetrics->codebookUsage.front();
    }

private slots:
    void initTestCase()
    {
        m_context = new AppContext(this);
        m_context->setTable(gloveTable(kRows), std::make_shared<TableStats>());
        m_queue = new RunQueue(m_context, this);
        QSignalSpy finished(m_queue, &RunQueue::runFinished);
        RunOptions options;
        options.neighbourRecall = false;
        m_pq = m_queue->enqueue(QuantSpec { "pq", { { "d", 4 }, { "bits", 8 } } }, options);
        m_grvq = m_queue->enqueue(QuantSpec { "grvq", { { "h", 10 }, { "R", 2 }, { "kappa", 6 } } }, options);
        m_rtn = m_queue->enqueue(QuantSpec { "rtn", { { "bits", 4 } } }, options);
        QVERIFY(waitFinished(finished, 3));
        for (RunKey key : { m_pq, m_grvq, m_rtn })
            QCOMPARE(m_context->run(key)->record->status, RunStatus::Done);
    }

    void noRunSelected()
    {
        CodebookUsagePanel panel(m_context);
        m_context->setCurrentRun(0);
        QVERIFY(panel.messageText().contains(QStringLiteral("Select a run")));
        QCOMPARE(panel.usageModel()->rowCount(), 0);
    }

    void heatmapCellsAreTheCounts()
    {
        CodebookUsagePanel panel(m_context);
        QAbstractItemModelTester tester(panel.usageModel(), QAbstractItemModelTester::FailureReportingMode::QtTest);
        m_context->setCurrentRun(m_pq);
        QVERIFY(panel.messageText().isEmpty());
        const CodebookUsage& u = usageOf(m_pq);
        // pq d=4 on 100 columns: 25 groups of one stage, 256 codes each.
        QCOMPARE(u.layout.groups, 25);
        QCOMPARE(u.layout.bits, 8);
        const HeatmapChart* map = panel.heatmap();
        QCOMPARE(map->rowCount(), 25);
        QCOMPARE(map->columnCount(), 256);
        QCOMPARE(map->codesPerColumn(), int64_t(1));
        QCOMPARE(map->image().size(), QSize(256, 25));
        for (int g = 0; g < 25; ++g) {
            for (int c = 0; c < 256; ++c) {
                const int64_t count = u.at(0, g).counts[size_t(c)];
                QCOMPARE(map->value(g, c), count);
                QCOMPARE(map->image().pixel(c, g), map->colorFor(count).rgb());
            }
        }
        // Dead codes are white, used ones are not.
        QCOMPARE(map->colorFor(0), QColor(Qt::white));
        QVERIFY(map->colorFor(1) != QColor(Qt::white));
        QVERIFY(map->cellText(3, 17).contains(QString::number(u.at(0, 3).counts[17])));
    }

    void sortedUsageStartsAtTheMaximum()
    {
        CodebookUsagePanel panel(m_context);
        m_context->setCurrentRun(m_pq);
        const CodebookUsage& u = usageOf(m_pq);
        // Pooled by default, then group 7.
        QCOMPARE(panel.currentGroup(), -1);
        QCOMPARE(panel.usageBarChart()->outline()->at(0).y(), double(maxCount(u.pooled[0])));
        QCOMPARE(panel.usageBarChart()->outline()->count(), 2 * 256);
        panel.groupCombo()->setCurrentIndex(8);
        QCOMPARE(panel.currentGroup(), 7);
        QCOMPARE(panel.usageBarChart()->outline()->at(0).y(), double(maxCount(u.at(0, 7))));
        QCOMPARE(panel.usageBarChart()->ranked().back().count,
            *std::min_element(u.at(0, 7).counts.begin(), u.at(0, 7).counts.end()));
        // Uniform use: 2000 rows over 256 codes.
        QCOMPARE(panel.usageBarChart()->uniformLine()->at(0).y(), double(kRows) / 256.0);
        QCOMPARE(panel.heatmap()->image().size(), QSize(256, 25));
    }

    void entropyBarsAreTheRuns()
    {
        CodebookUsagePanel panel(m_context);
        m_context->setCurrentRun(m_grvq);
        const CodebookUsage& u = usageOf(m_grvq);
        QCOMPARE(u.layout.stages, 2);
        QCOMPARE(u.layout.groups, 10);
        QCOMPARE(u.layout.bits, 6);
        for (int stage = 0; stage < 2; ++stage) {
            panel.stageCombo()->setCurrentIndex(stage);
            const QBarSet* set = panel.entropyChart()->entropySet();
            QCOMPARE(set->count(), 11);
            for (int g = 0; g < 10; ++g)
                QCOMPARE(set->at(g), u.at(stage, g).entropyBits);
            QCOMPARE(set->at(10), u.pooled[size_t(stage)].entropyBits);
            QCOMPARE(panel.entropyChart()->bitsLine()->at(0).y(), 6.0);
            // k-means on real rows uses its codes unevenly but not badly: H between 4 and 6 bits.
            for (int g = 0; g < 10; ++g)
                QVERIFY(set->at(g) > 4.0 && set->at(g) <= 6.0);
        }
        // Heat map: stage x group rows, labelled by stage.
        QCOMPARE(panel.heatmap()->rowCount(), 20);
        QCOMPARE(panel.heatmap()->columnCount(), 64);
        QCOMPARE(panel.heatmap()->value(10 + 4, 9), u.at(1, 4).counts[9]);
        panel.setSelection(0, 1, 4);
        QCOMPARE(panel.usageBarChart()->outline()->at(0).y(), double(maxCount(u.at(1, 4))));
    }

    void manyGroupsAreLabelledThinned_data()
    {
        QTest::addColumn<int>("groups");
        QTest::addColumn<int>("width");
        QTest::newRow("10 groups") << 10 << 600;
        QTest::newRow("128 groups") << 128 << 600;
        QTest::newRow("256 groups, narrow") << 256 << 400;
        QTest::newRow("256 groups, wide") << 256 << 1600;
    }
    void manyGroupsAreLabelledThinned()
    {
        // 128 groups of 16 columns on 2048: the axis must read "g0 g16 g32 ...", not 129 elided labels.
        QFETCH(int, groups);
        QFETCH(int, width);
        EntropyChart chart;
        chart.resize(width, 300);
        chart.show();
        QStringList categories;
        std::vector<double> entropies;
        for (int g = 0; g < groups; ++g) {
            categories << QStringLiteral("g%1").arg(g);
            entropies.push_back(3.5);
        }
        categories << QStringLiteral("pooled");
        entropies.push_back(3.9);
        chart.setBars(categories, entropies, 4);
        QCoreApplication::processEvents();
        QCOMPARE(chart.entropySet()->count(), groups + 1); // every bar is drawn
        const QStringList labels = chart.axisLabels();
        QVERIFY2(labels.size() <= chart.labelCapacity() + 1, qPrintable(labels.join(u' ')));
        QCOMPARE(labels.first(), QStringLiteral("g0"));
        QCOMPARE(labels.last(), QStringLiteral("pooled"));
        if (groups + 1 <= chart.labelCapacity()) {
            QCOMPARE(labels.size(), groups + 1); // room for all: all
        } else {
            // Every k-th group, k a power of two, and room for each label.
            const int step = labels.at(1).mid(1).toInt();
            QVERIFY(step >= 2 && (step & (step - 1)) == 0);
            for (int i = 1; i + 1 < labels.size(); ++i)
                QCOMPARE(labels.at(i), QStringLiteral("g%1").arg(i * step));
            QVERIFY(labels.size() >= chart.labelCapacity() / 2);
        }
    }

    void deadCodesAreListed()
    {
        CodebookUsagePanel panel(m_context);
        CodebookUsageModel* model = panel.usageModel();
        QAbstractItemModelTester tester(model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        for (RunKey key : { m_pq, m_grvq }) {
            m_context->setCurrentRun(key);
            const CodebookUsage& u = usageOf(key);
            QCOMPARE(model->rowCount(), (u.layout.groups + 1) * u.layout.stages);
            for (int row = 0; row < model->rowCount(); ++row) {
                const int stage = model->index(row, 0).data(CodebookUsageModel::StageRole).toInt();
                const int group = model->index(row, 0).data(CodebookUsageModel::GroupRole).toInt();
                const CodeUsage& c = group < 0 ? u.pooled[size_t(stage)] : u.at(stage, group);
                const QList<int> dead
                    = model->index(row, 0).data(CodebookUsageModel::DeadCodesRole).value<QList<int>>();
                QCOMPARE(dead.size(), qsizetype(c.deadCodes.size()));
                for (qsizetype i = 0; i < dead.size(); ++i)
                    QCOMPARE(dead[i], c.deadCodes[size_t(i)]);
                QCOMPARE(model->index(row, CodebookUsageModel::DeadCountColumn).data().toString(),
                    QString::number(c.deadCodes.size()));
                QCOMPARE(model->index(row, CodebookUsageModel::DeadCodesColumn).data().toString(),
                    CodebookUsageModel::deadCodesText(c.deadCodes));
                QCOMPARE(model->index(row, 0).data(CodebookUsageModel::EntropyRole).toDouble(), c.entropyBits);
            }
        }
        QCOMPARE(CodebookUsageModel::deadCodesText({ 0, 1, 2, 3, 17, 200, 201 }), QStringLiteral("0–3, 17, 200–201"));
        QCOMPARE(CodebookUsageModel::deadCodesText({}), QStringLiteral("none"));
    }

    void scalarMethodHasNoCodebooks()
    {
        CodebookUsagePanel panel(m_context);
        m_context->setCurrentRun(m_rtn);
        QVERIFY2(panel.messageText().contains(QStringLiteral("no codebooks")), qPrintable(panel.messageText()));
        QCOMPARE(panel.usageModel()->rowCount(), 0);
        QCOMPARE(panel.heatmap()->rowCount(), 0);
        m_context->setCurrentRun(m_pq);
        QVERIFY(panel.messageText().isEmpty());
    }

    void recordFromJson_data()
    {
        QTest::addColumn<bool>("counts");
        QTest::newRow("with counts") << true;
        QTest::newRow("without counts") << false;
    }

    void recordFromJson()
    {
        QFETCH(bool, counts);
        CodebookUsagePanel panel(m_context);
        // As a session file gives it back: no arrays, no full metrics, only JSON.
        auto record = std::make_shared<RunRecord>(*m_context->run(m_grvq)->record);
        record->metrics = record->fullMetrics->toJson(MetricsJsonOptions { false, false, counts });
        const CodebookUsage& u = usageOf(m_grvq);
        record->fullMetrics.reset();
        record->table.reset();
        const RunKey key = m_context->addRun(record);
        m_context->setCurrentRun(key);
        QCOMPARE(panel.countsAvailable(), counts);
        QCOMPARE(panel.usageModel()->rowCount(), 22);
        QCOMPARE(panel.entropyChart()->entropySet()->at(3), u.at(0, 3).entropyBits);
        if (counts) {
            QVERIFY(panel.messageText().isEmpty());
            QCOMPARE(panel.heatmap()->value(5, 33), u.at(0, 5).counts[33]);
        } else {
            QVERIFY2(
                panel.messageText().contains(QStringLiteral("no per-code counts")), qPrintable(panel.messageText()));
        }
        m_context->removeRun(key);
    }

    void wideCodebooksAreBucketed()
    {
        // A 16-bit code array (as AQLM 1x16 stores), counted by the same core function as a run.
        CodeLayout layout;
        layout.rows = 20000;
        layout.groups = 2;
        layout.bits = 16;
        std::mt19937 rng(9);
        std::geometric_distribution<uint32_t> code(0.0002);
        std::vector<uint32_t> codes(size_t(layout.rows * layout.groups));
        for (uint32_t& c : codes)
            c = std::min<uint32_t>(code(rng), 65535);
        auto metrics = std::make_shared<RunMetrics>();
        metrics->codebookUsage.push_back(computeCodebookUsage(codes, layout, nullRunControl()));
        auto record = std::make_shared<RunRecord>(*m_context->run(m_pq)->record);
        record->fullMetrics = metrics;
        record->table.reset();
        const RunKey key = m_context->addRun(record);

        CodebookUsagePanel panel(m_context);
        m_context->setCurrentRun(key);
        const CodebookUsage& u = metrics->codebookUsage.front();
        QCOMPARE(panel.heatmap()->columnCount(), 1024);
        QCOMPARE(panel.heatmap()->codesPerColumn(), int64_t(64));
        for (int g = 0; g < 2; ++g) {
            for (int column : { 0, 1, 500, 1023 }) {
                int64_t sum = 0;
                for (int c = column * 64; c < column * 64 + 64; ++c)
                    sum += u.at(0, g).counts[size_t(c)];
                QCOMPARE(panel.heatmap()->value(g, column), sum);
            }
        }
        // The sorted chart is thinned to about the pixel width, its first point still the maximum.
        QVERIFY(panel.usageBarChart()->outline()->count() < 65536);
        QCOMPARE(panel.usageBarChart()->outline()->at(0).y(), double(maxCount(u.pooled[0])));
        m_context->removeRun(key);
    }

    void screenshot()
    {
        CodebookUsagePanel panel(m_context);
        panel.resize(1200, 900);
        m_context->setCurrentRun(m_grvq);
        panel.setSelection(0, 1, 3);
        panel.show();
        QVERIFY(QTest::qWaitForWindowExposed(&panel));
        QTest::qWait(50);
        const QImage image = panel.grab().toImage();
        QVERIFY(!image.isNull());
        image.save(QStringLiteral("/tmp/vq-codebookusage.png"));
        m_context->setCurrentRun(m_pq);
        QTest::qWait(50);
        panel.grab().toImage().save(QStringLiteral("/tmp/vq-codebookusage-pq.png"));
    }
};

QTEST_MAIN(TestCodebookUsagePanel)
#include "tst_codebookusagepanel.moc"

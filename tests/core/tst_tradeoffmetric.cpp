// tradeoffValue reads each trade-off metric from RunMetrics::toJson() and nothing when it is missing or
// not finite; the direction of each metric.
#include "metrics/runmetrics.h"
#include "run/tradeoffmetric.h"

#include <QtTest>

#include <limits>

using namespace vq;

class TestTradeoffMetric : public QObject {
    Q_OBJECT
private slots:
    void values()
    {
        RunMetrics m;
        m.reconstruction.relMse = 0.042;
        m.reconstruction.snrDb = 13.77;
        m.neighbourRecall = NeighbourRecall {};
        m.neighbourRecall->mean = 0.81;
        const nlohmann::json j = m.toJson();
        QCOMPARE(*tradeoffValue(j, TradeoffMetric::RelMse), 0.042);
        QCOMPARE(*tradeoffValue(j, TradeoffMetric::SnrDb), 13.77);
        QCOMPARE(*tradeoffValue(j, TradeoffMetric::Recall), 0.81);
        QVERIFY(!tradeoffValue(j, TradeoffMetric::LogitKl));
        QVERIFY(!tradeoffValue(j, TradeoffMetric::Top1Agreement));

        m.logitFidelity = LogitFidelity {};
        m.logitFidelity->meanKl = 0.25;
        m.logitFidelity->top1Agreement = 0.9;
        m.reconstruction.snrDb = std::numeric_limits<double>::infinity(); // written as "inf"
        const nlohmann::json k = m.toJson();
        QCOMPARE(*tradeoffValue(k, TradeoffMetric::LogitKl), 0.25);
        QCOMPARE(*tradeoffValue(k, TradeoffMetric::Top1Agreement), 0.9);
        QVERIFY(!tradeoffValue(k, TradeoffMetric::SnrDb));
        QVERIFY(!tradeoffValue(nlohmann::json(), TradeoffMetric::RelMse));
    }

    void directions()
    {
        QVERIFY(lowerIsBetter(TradeoffMetric::RelMse));
        QVERIFY(lowerIsBetter(TradeoffMetric::LogitKl));
        QVERIFY(!lowerIsBetter(TradeoffMetric::SnrDb));
        QVERIFY(!lowerIsBetter(TradeoffMetric::Recall));
        QVERIFY(!lowerIsBetter(TradeoffMetric::Top1Agreement));
        QCOMPARE(QString::fromLatin1(nameOf(TradeoffMetric::RelMse)), QStringLiteral("relMSE"));
    }
};

QTEST_GUILESS_MAIN(TestTradeoffMetric)
#include "tst_tradeoffmetric.moc"

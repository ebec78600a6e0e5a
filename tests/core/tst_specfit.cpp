// fitSpecToShape and the refusals it starts from: on a 100-column table (the bundled sample's shape)
// every method's default and every preset is accepted, fitted to the nearest accepted value of the
// parameter its refusal names, or refused with a message that lists the valid values.
#include "common/error.h"
#include "quant/registry.h"
#include "quant/specfit.h"

#include <QTest>

#include <string>

namespace {

constexpr int64_t kRows = 20000;
constexpr int64_t kDim = 100;

std::string refusalOf(const vq::QuantSpec& spec, int64_t rows, int64_t dim)
{
    try {
        vq::quantizer(spec.method).validate(spec, rows, dim);
    } catch (const vq::Error& e) {
        return e.message();
    }
    return {};
}

bool contains(const std::string& text, const std::string& needle)
{
    return text.find(needle) != std::string::npos;
}

} // namespace

class TestSpecFit : public QObject {
    Q_OBJECT
private slots:
    // The default and each preset of every method on 20000 x 100: what the GUI offers a newcomer.
    void everyDefaultAndPresetOn100Columns_data()
    {
        QTest::addColumn<QString>("method");
        QTest::addColumn<QString>("params");
        QTest::addColumn<QString>("changed"); // "" when accepted as given; "-" when it cannot fit
        QTest::addColumn<QString>("valid"); // what the fitted spec or the refusal must say
        for (const vq::Quantizer* q : vq::allQuantizers()) {
            const QString name = QString::fromStdString(q->name());
            QTest::addRow("%s default", q->name().c_str()) << name << QStringLiteral("{}") << QString() << QString();
            for (const vq::Preset& p : q->presets())
                QTest::addRow("%s", p.label.c_str())
                    << name << QString::fromStdString(p.spec.params.dump()) << QString() << QString();
        }
    }
    void everyDefaultAndPresetOn100Columns()
    {
        QFETCH(QString, method);
        QFETCH(QString, params);
        const vq::Quantizer& q = vq::quantizer(method.toStdString());
        const vq::QuantSpec spec { method.toStdString(), nlohmann::json::parse(params.toStdString()) };
        const vq::FittedSpec fitted = vq::fitSpecToShape(q, spec, kRows, kDim);
        if (fitted.ok) {
            // What comes out is accepted as it is.
            QCOMPARE(q.validate(fitted.spec, kRows, kDim), fitted.spec);
            QCOMPARE(fitted.refusal.empty(), !fitted.adapted());
            return;
        }
        // Cannot fit: only the llama.cpp block formats, whose block (32, or a super-block of 256) does not
        // divide 100; the refusal lists the row lengths they take and the nearest.
        QVERIFY2(vq::quantizer(method.toStdString()).isBaseline() && method != QStringLiteral("rtn"),
            fitted.refusal.c_str());
        QVERIFY2(contains(fitted.refusal, "it needs tables of 32, 64, 96 ... columns (the nearest: 96 or 128)")
                || contains(fitted.refusal, "it needs tables of 256, 512, 768 ... columns (the nearest: 256)"),
            fitted.refusal.c_str());
    }

    // The refused defaults of the issue, each fitted to the nearest value that divides 100.
    void knownFits_data()
    {
        QTest::addColumn<QString>("json");
        QTest::addColumn<QString>("parameter");
        QTest::addColumn<int>("from");
        QTest::addColumn<int>("to");
        QTest::newRow("grvq default") << QStringLiteral(R"({"method":"grvq"})") << "h" << 8 << 10;
        QTest::newRow("carvq default") << QStringLiteral(R"({"method":"carvq"})") << "h" << 8 << 10;
        QTest::newRow("crvq default") << QStringLiteral(R"({"method":"crvq"})") << "g" << 8 << 10;
        QTest::newRow("aqlm default") << QStringLiteral(R"({"method":"aqlm"})") << "g" << 8 << 10;
        QTest::newRow("pq d8 preset") << QStringLiteral(R"({"method":"pq","params":{"d":8,"bits":8}})") << "d" << 8
                                      << 10;
        QTest::newRow("rtn g128") << QStringLiteral(R"({"method":"rtn","params":{"group":128}})") << "group" << 128
                                  << 100;
        // A tie (7 and 9 do not divide 96; 6 and 8 do): the smaller one.
        QTest::newRow("tie") << QStringLiteral(R"({"method":"grvq","params":{"h":7}})") << "h" << 7 << 6;
    }
    void knownFits()
    {
        QFETCH(QString, json);
        QFETCH(QString, parameter);
        QFETCH(int, from);
        QFETCH(int, to);
        const vq::QuantSpec spec = vq::QuantSpec::fromJson(nlohmann::json::parse(json.toStdString()));
        const int64_t dim = QTest::currentDataTag() == QByteArray("tie") ? 96 : kDim;
        const vq::FittedSpec fitted = vq::fitSpecToShape(vq::quantizer(spec.method), spec, kRows, dim);
        QVERIFY2(fitted.adapted(), fitted.refusal.c_str());
        QCOMPARE(QString::fromStdString(fitted.parameter), parameter);
        QCOMPARE(fitted.from.get<int>(), from);
        QCOMPARE(fitted.to.get<int>(), to);
        QCOMPARE(fitted.spec.getInt(parameter.toStdString()), int64_t(to));
        QCOMPARE(fitted.changeText(),
            parameter.toStdString() + " " + std::to_string(from) + " \u2192 " + std::to_string(to));
        // Only that parameter moved.
        vq::QuantSpec back = fitted.spec;
        back.params[parameter.toStdString()] = from;
        QCOMPARE(back, vq::quantizer(spec.method).schema().resolve({ spec.method, spec.params }));
    }

    // Every refusal of a value names the parameter and says which values would do.
    void refusalsListValidValues_data()
    {
        QTest::addColumn<QString>("json");
        QTest::addColumn<qint64>("rows");
        QTest::addColumn<qint64>("dim");
        QTest::addColumn<QString>("parameter");
        QTest::addColumn<QString>("valid");
        const QString divisors = QStringLiteral("use one of 1, 2, 4, 5, 10, 20, 25, 50, 100)");
        QTest::newRow("pq d") << QStringLiteral(R"({"method":"pq","params":{"d":3}})") << qint64(1000) << qint64(100)
                              << "d" << divisors;
        QTest::newRow("grvq h") << QStringLiteral(R"({"method":"grvq","params":{"h":3}})") << qint64(1000)
                                << qint64(100) << "h" << divisors;
        QTest::newRow("crvq g") << QStringLiteral(R"({"method":"crvq","params":{"g":3}})") << qint64(1000)
                                << qint64(100) << "g" << divisors;
        QTest::newRow("aqlm g") << QStringLiteral(R"({"method":"aqlm","params":{"g":3}})") << qint64(1000)
                                << qint64(100) << "g" << divisors;
        QTest::newRow("carvq h") << QStringLiteral(R"({"method":"carvq","params":{"h":3}})") << qint64(1000)
                                 << qint64(100) << "h" << divisors;
        QTest::newRow("rtn group") << QStringLiteral(R"({"method":"rtn","params":{"group":30}})") << qint64(1000)
                                   << qint64(100) << "group"
                                   << QStringLiteral(
                                          "use 0 for the whole row, or one of 1, 2, 4, 5, 10, 20, 25, 50, 100)");
        // One codebook per sub-vector position, trained on the 1000 rows: at most 9 bits (512 centroids).
        QTest::newRow("pq bits") << QStringLiteral(R"({"method":"pq","params":{"d":4,"bits":16}})") << qint64(1000)
                                 << qint64(100) << "bits" << QStringLiteral("(at most 9 bits here)");
        QTest::newRow("pq codebooks") << QStringLiteral(R"({"method":"pq","params":{"d":4,"codebooks":30}})")
                                      << qint64(1000) << qint64(100) << "codebooks" << QStringLiteral("(use 0 to 25)");
        // 300 rows per stage codebook: at most 8 bits.
        QTest::newRow("grvq kappa") << QStringLiteral(R"({"method":"grvq","params":{"h":10,"kappa":9}})") << qint64(300)
                                    << qint64(100) << "kappa" << QStringLiteral("(at most 8 bits here)");
        // 300 rows x 10 groups of 10 columns: 3000 vectors, at most 11 bits.
        QTest::newRow("aqlm B") << QStringLiteral(R"({"method":"aqlm","params":{"g":10,"B":12}})") << qint64(300)
                                << qint64(100) << "B" << QStringLiteral("(at most 11 bits here)");
        QTest::newRow("carvq m") << QStringLiteral(R"({"method":"carvq","params":{"h":4,"m":40}})") << qint64(1000)
                                 << qint64(32) << "m" << QStringLiteral("(sigma_0 must contract: use 4 to 32)");
        // 50 x 32 = 1600 weights; (16 + 32) per hidden unit: at most 33.
        QTest::newRow("carvq width") << QStringLiteral(R"({"method":"carvq","params":{"h":4,"kappa":2}})") << qint64(50)
                                     << qint64(32) << "width" << QStringLiteral("(at most 33 here)");
        QTest::newRow("schema range") << QStringLiteral(R"({"method":"rtn","params":{"bits":9}})") << qint64(1000)
                                      << qint64(100) << "bits" << QStringLiteral("an integer in [2, 8]");
    }
    void refusalsListValidValues()
    {
        QFETCH(QString, json);
        QFETCH(qint64, rows);
        QFETCH(qint64, dim);
        QFETCH(QString, parameter);
        QFETCH(QString, valid);
        const vq::QuantSpec spec = vq::QuantSpec::fromJson(nlohmann::json::parse(json.toStdString()));
        const std::string refusal = refusalOf(spec, rows, dim);
        QVERIFY2(!refusal.empty(), "expected a refusal");
        QCOMPARE(QString::fromStdString(vq::refusedParameter(refusal)), parameter);
        QVERIFY2(contains(refusal, valid.toStdString()), refusal.c_str());
    }

    void valuesOfTheRefusalAreAccepted()
    {
        // What a refusal lists is what the method takes: every listed divisor passes, the value refused
        // and its neighbours do not.
        for (int64_t h : { 1, 2, 4, 5, 10, 20, 25, 50, 100 })
            QVERIFY(refusalOf({ "grvq", { { "h", h }, { "kappa", 2 } } }, 1000, 100).empty());
        for (int64_t h : { 3, 6, 8, 30 })
            QVERIFY(!refusalOf({ "grvq", { { "h", h }, { "kappa", 2 } } }, 1000, 100).empty());
        // "at most 9 bits": 9 passes, 10 does not.
        QVERIFY(refusalOf({ "pq", { { "d", 4 }, { "bits", 9 } } }, 1000, 100).empty());
        QVERIFY(!refusalOf({ "pq", { { "d", 4 }, { "bits", 10 } } }, 1000, 100).empty());
    }

    void unfittable()
    {
        // No parameter of q4_0 changes its block: refused, refusal kept, spec as given.
        const vq::QuantSpec q4 { "q4_0", nlohmann::json::object() };
        const vq::FittedSpec fitted = vq::fitSpecToShape(vq::quantizer("q4_0"), q4, kRows, 100);
        QVERIFY(!fitted.ok);
        QVERIFY(fitted.parameter.empty());
        QCOMPARE(fitted.spec, q4);
        QVERIFY(contains(fitted.refusal, "not a multiple of the block size 32"));
        // A refusal that names no parameter is not guessed at.
        QCOMPARE(
            vq::refusedParameter("rtn: 40.0 bits per parameter, more than the float32 table itself"), std::string());
        // Too few rows for any code width: nothing fits, the search ends.
        const vq::FittedSpec none
            = vq::fitSpecToShape(vq::quantizer("pq"), { "pq", { { "d", 100 }, { "bits", 8 } } }, 1, 100);
        QVERIFY(!none.ok);
        QVERIFY(contains(none.refusal, "parameter 'bits'"));
        // Accepted as given: resolved, nothing changed.
        const vq::FittedSpec same = vq::fitSpecToShape(vq::quantizer("rtn"), { "rtn", { { "bits", 3 } } }, kRows, kDim);
        QVERIFY(same.ok && !same.adapted() && same.refusal.empty());
        QCOMPARE(same.spec.getInt("group"), int64_t(0));
    }
};

QTEST_GUILESS_MAIN(TestSpecFit)
#include "tst_specfit.moc"

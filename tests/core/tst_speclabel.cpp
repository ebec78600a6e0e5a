// specLabel, the one label of a spec every view and the CLI show: its exact text for known specs, and
// that different specs always read differently.
#include "quant/registry.h"
#include "quant/speclabel.h"

#include <QTest>

#include <map>
#include <set>

class TestSpecLabel : public QObject {
    Q_OBJECT
private slots:
    void text_data()
    {
        QTest::addColumn<QString>("json");
        QTest::addColumn<QString>("label");
        QTest::addColumn<QString>("params");
        QTest::newRow("pq") << QStringLiteral(R"({"method":"pq","params":{"d":4,"bits":8,"shared":false}})")
                            << QStringLiteral("pq d4 8-bit") << QStringLiteral("d4 8-bit");
        QTest::newRow("pq codebooks") << QStringLiteral(R"({"method":"pq","params":{"d":4,"bits":8,"codebooks":5}})")
                                      << QStringLiteral("pq d4 8-bit codebooks=5")
                                      << QStringLiteral("d4 8-bit codebooks=5");
        QTest::newRow("grvq") << QStringLiteral(R"({"method":"grvq","params":{"h":8,"R":3,"kappa":4,"beam":1}})")
                              << QStringLiteral("grvq h8 R3 kappa=4") << QStringLiteral("h8 R3 kappa=4");
        QTest::newRow("grvq shared beam")
            << QStringLiteral(R"({"method":"grvq","params":{"h":5,"R":2,"kappa":5,"shared":true,"beam":4}})")
            << QStringLiteral("grvq h5 R2 kappa=5 shared beam=4") << QStringLiteral("h5 R2 kappa=5 shared beam=4");
        QTest::newRow("rtn asym") << QStringLiteral(R"({"method":"rtn","params":{"bits":4,"group":128,"mode":"asym"}})")
                                  << QStringLiteral("rtn 4-bit group=128 mode=asym")
                                  << QStringLiteral("4-bit group=128 mode=asym");
        QTest::newRow("crvq") << QStringLiteral(R"({"method":"crvq","params":{"g":8,"b":8,"lambda":0.02,"E":3}})")
                              << QStringLiteral("crvq g8 b8 lambda=0.02 E3") << QStringLiteral("g8 b8 lambda=0.02 E3");
        QTest::newRow("aqlm no scales") << QStringLiteral(
            R"({"method":"aqlm","params":{"M":2,"B":8,"g":8,"scales":false}})")
                                        << QStringLiteral("aqlm M2 B8 g8 scales=no")
                                        << QStringLiteral("M2 B8 g8 scales=no");
        QTest::newRow("q4_0") << QStringLiteral(R"({"method":"q4_0"})") << QStringLiteral("q4_0") << QString();
        QTest::newRow("unknown method") << QStringLiteral(R"({"method":"future","params":{"x":1,"mode":"a"}})")
                                        << QStringLiteral("future mode=a x1") << QStringLiteral("mode=a x1");
    }
    void text()
    {
        QFETCH(QString, json);
        QFETCH(QString, label);
        QFETCH(QString, params);
        const vq::QuantSpec spec = vq::QuantSpec::fromJson(nlohmann::json::parse(json.toStdString()));
        QCOMPARE(QString::fromStdString(vq::specLabel(spec)), label);
        QCOMPARE(QString::fromStdString(vq::specLabel(spec, vq::SpecLabelParts::ParamsOnly)), params);
    }

    void resolvedDefaultsAreNotRepeated()
    {
        // A resolved spec lists every parameter; the label shows only the key ones and the changed ones.
        const vq::Quantizer& q = vq::quantizer("carvq");
        const vq::QuantSpec resolved = q.validate({ "carvq", nlohmann::json::object() }, 128256, 2048);
        QCOMPARE(
            QString::fromStdString(vq::specLabel(resolved)), QStringLiteral("carvq h8 R3 kappa=4 m16 sigma0=int4"));
        vq::QuantSpec lr = resolved;
        lr.params["lr"] = 0.001;
        QCOMPARE(
            QString::fromStdString(vq::specLabel(lr)), QStringLiteral("carvq h8 R3 kappa=4 m16 sigma0=int4 lr=0.001"));
    }

    void distinctSpecsReadDistinctly()
    {
        // Every method: its default and each parameter moved one step (or to each other choice), all
        // resolved; no two different specs share a label.
        std::map<std::string, nlohmann::json> seen;
        for (const vq::Quantizer* q : vq::allQuantizers()) {
            const vq::QuantSpec base = q->schema().resolve({ q->name(), nlohmann::json::object() });
            std::vector<vq::QuantSpec> specs { base };
            for (const vq::ParamDef& def : q->schema().params) {
                vq::QuantSpec s = base;
                switch (def.type) {
                case vq::ParamDef::Type::Int:
                    s.params[def.name]
                        = def.defaultValue.get<int64_t>() + (def.defaultValue.get<double>() < def.max ? 1 : -1);
                    specs.push_back(s);
                    break;
                case vq::ParamDef::Type::Float:
                    s.params[def.name] = def.defaultValue.get<double>() * 0.5 + def.min * 0.5 + 1e-7;
                    specs.push_back(s);
                    break;
                case vq::ParamDef::Type::Bool:
                    s.params[def.name] = !def.defaultValue.get<bool>();
                    specs.push_back(s);
                    break;
                case vq::ParamDef::Type::Path:
                    s.params[def.name] = "importance.npy";
                    specs.push_back(s);
                    break;
                case vq::ParamDef::Type::Choice:
                    for (const std::string& c : def.choices) {
                        s.params[def.name] = c;
                        specs.push_back(s);
                    }
                    break;
                }
            }
            for (const vq::QuantSpec& s : specs) {
                const std::string label = vq::specLabel(s);
                const auto [it, inserted] = seen.emplace(label, s.toJson());
                QVERIFY2(inserted || it->second == s.toJson(), label.c_str());
            }
        }
        QVERIFY(seen.size() > 60);
    }
};

QTEST_GUILESS_MAIN(TestSpecLabel)
#include "tst_speclabel.moc"

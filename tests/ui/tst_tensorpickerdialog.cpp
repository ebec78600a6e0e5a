// TensorPickerDialog: the automatic pick preselected with its reason, only candidates selectable.
#include "dialogs/tensorpickerdialog.h"
#include "models/tensorlistmodel.h"

#include <QPushButton>
#include <QTableView>
#include <QTest>

using namespace vq;

namespace {

std::shared_ptr<const TensorListing> listing()
{
    auto l = std::make_shared<TensorListing>();
    l->path = QStringLiteral("/data/model.safetensors");
    l->format = "safetensors";
    TensorInfo head { "lm_head.weight", DType::F16, "F16", { 512, 100 }, 102400, "" };
    TensorInfo embed { "model.embed_tokens.weight", DType::BF16, "BF16", { 512, 100 }, 102400, "" };
    TensorInfo norm { "model.norm.weight", DType::F32, "F32", { 100 }, 400, "" };
    l->tensors = { head, embed, norm };
    l->candidates.names = { "model.embed_tokens.weight", "lm_head.weight" };
    l->candidates.chosen = "model.embed_tokens.weight";
    l->candidates.reason = "name matches model.embed_tokens.weight";
    return l;
}

} // namespace

class TestTensorPickerDialog : public QObject {
    Q_OBJECT
private slots:
    void preselectsAutomaticPick()
    {
        TensorPickerDialog dialog(listing());
        QCOMPARE(dialog.selectedTensor(), QStringLiteral("model.embed_tokens.weight"));
        QCOMPARE(dialog.selectionReason(), QStringLiteral("name matches model.embed_tokens.weight"));
        QCOMPARE(dialog.model()->rowCount(), 3);
    }

    void choosesAnotherCandidate()
    {
        TensorPickerDialog dialog(listing());
        QVERIFY(dialog.selectTensor(QStringLiteral("lm_head.weight")));
        QCOMPARE(dialog.selectedTensor(), QStringLiteral("lm_head.weight"));
        QCOMPARE(dialog.selectionReason(), QStringLiteral("chosen in the tensor picker"));
    }

    void refusesNonCandidates()
    {
        TensorPickerDialog dialog(listing());
        QVERIFY(!dialog.selectTensor(QStringLiteral("model.norm.weight")));
        QVERIFY(!dialog.selectTensor(QStringLiteral("missing")));
        QCOMPARE(dialog.selectedTensor(), QStringLiteral("model.embed_tokens.weight"));

        // A click on the greyed row does not select it either.
        dialog.show();
        QVERIFY(QTest::qWaitForWindowExposed(&dialog));
        auto* view = dialog.findChild<QTableView*>(QStringLiteral("tensorView"));
        QVERIFY(view);
        const QRect rect = view->visualRect(dialog.model()->index(2, TensorListModel::NameColumn));
        QTest::mouseClick(view->viewport(), Qt::LeftButton, {}, rect.center());
        QCOMPARE(dialog.selectedTensor(), QStringLiteral("model.embed_tokens.weight"));
    }

    void loadButtonNeedsSelection()
    {
        TensorPickerDialog dialog(listing());
        auto* view = dialog.findChild<QTableView*>(QStringLiteral("tensorView"));
        QPushButton* load = nullptr;
        for (auto* button : dialog.findChildren<QPushButton*>()) {
            if (button->text() == QStringLiteral("Load"))
                load = button;
        }
        QVERIFY(load);
        QVERIFY(load->isEnabled());
        view->clearSelection();
        QVERIFY(!load->isEnabled());
        QVERIFY(dialog.selectTensor(QStringLiteral("lm_head.weight")));
        QVERIFY(load->isEnabled());
    }
};

QTEST_MAIN(TestTensorPickerDialog)
#include "tst_tensorpickerdialog.moc"

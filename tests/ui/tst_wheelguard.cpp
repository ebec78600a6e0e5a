// WheelGuard: the mouse wheel over an unfocused spin box or combo scrolls the area around it and
// leaves the value alone; once the editor has the focus the wheel edits it. Also on the method panel,
// whose form is rebuilt for every method.
#include "appcontext.h"
#include "panels/methodpanel.h"
#include "runners/runqueue.h"
#include "widgets/paramform.h"
#include "widgets/wheelguard.h"

#include <QApplication>
#include <QComboBox>
#include <QScrollArea>
#include <QScrollBar>
#include <QSpinBox>
#include <QSpontaneKeyEvent>
#include <QTest>
#include <QVBoxLayout>
#include <QWheelEvent>

using namespace vq;

namespace {

// One notch of the wheel (down) over the middle of widget, delivered as the window system does it
// (spontaneous, so QApplication passes an ignored event on to the parents).
void wheelDown(QWidget* widget)
{
    const QPoint local = widget->rect().center();
    QWidget* target = widget->childAt(local) ? widget->childAt(local) : widget;
    const QPointF at = target->mapFrom(widget, local);
    QWheelEvent event(
        at, target->mapToGlobal(at), QPoint(), QPoint(0, -120), Qt::NoButton, Qt::NoModifier, Qt::NoScrollPhase, false);
    // As QTest does for its input events: sendEvent() would clear the spontaneous flag.
    QSpontaneKeyEvent::setSpontaneous(&event);
    qApp->notify(target, &event);
}

struct Scrolled {
    QScrollArea area;
    QList<QSpinBox*> spins;
    QComboBox* combo = nullptr;

    Scrolled()
    {
        auto* content = new QWidget;
        auto* layout = new QVBoxLayout(content);
        combo = new QComboBox(content);
        combo->addItems({ QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c") });
        layout->addWidget(combo);
        for (int i = 0; i < 30; ++i) {
            auto* spin = new QSpinBox(content);
            spin->setRange(0, 100);
            spin->setValue(50);
            layout->addWidget(spin);
            spins.append(spin);
        }
        area.setWidget(content);
        area.setWidgetResizable(true);
        area.resize(240, 200);
    }
};

bool activate(QWidget& window)
{
    window.show();
    QApplication::setActiveWindow(&window);
    return QTest::qWaitForWindowActive(&window);
}

} // namespace

class TestWheelGuard : public QObject {
    Q_OBJECT
private slots:
    void wheelScrollsPastUnfocusedEditors()
    {
        Scrolled s;
        WheelGuard::protect(&s.area);
        QVERIFY(activate(s.area));
        s.area.setFocus();
        QSpinBox* spin = s.spins[1];
        QCOMPARE(spin->focusPolicy(), Qt::StrongFocus);
        QCOMPARE(s.combo->focusPolicy(), Qt::StrongFocus);
        QScrollBar* bar = s.area.verticalScrollBar();
        QVERIFY(bar->maximum() > 0);
        QCOMPARE(bar->value(), 0);

        wheelDown(spin);
        QCOMPARE(spin->value(), 50); // not edited
        QVERIFY(!spin->hasFocus()); // the wheel does not give the focus either
        const int scrolled = bar->value();
        QVERIFY(scrolled > 0); // the area scrolled instead

        bar->setValue(0);
        wheelDown(s.combo);
        QCOMPARE(s.combo->currentIndex(), 0);
        QVERIFY(bar->value() > 0);

        // Focused (a click or Tab), the editor takes the wheel and the area stays put.
        bar->setValue(0);
        spin->setFocus();
        QVERIFY(spin->hasFocus());
        wheelDown(spin);
        QCOMPARE(spin->value(), 49);
        QCOMPARE(bar->value(), 0);
    }

    void withoutTheGuardTheWheelEdits()
    {
        // The defect the guard fixes, shown on the same widgets: the value moves while scrolling.
        Scrolled s;
        QVERIFY(activate(s.area));
        s.area.setFocus();
        wheelDown(s.spins[1]);
        QCOMPARE(s.spins[1]->value(), 49);
    }

    void editorsAddedLaterAreGuarded()
    {
        Scrolled s;
        WheelGuard::protect(&s.area);
        WheelGuard::protect(&s.area); // a second call changes nothing
        QVERIFY(activate(s.area));
        auto* late = new QSpinBox(s.area.widget());
        late->setValue(7);
        s.area.widget()->layout()->addWidget(late);
        late->show();
        QCoreApplication::processEvents(); // polish: the guard learns of the new child
        QCOMPARE(late->focusPolicy(), Qt::StrongFocus);
        s.area.ensureWidgetVisible(late);
        wheelDown(late);
        QCOMPARE(late->value(), 7);
    }

    void methodPanelFormOfEveryMethod()
    {
        AppContext context;
        RunQueue queue(&context);
        MethodPanel panel(&context, &queue);
        panel.resize(320, 300);
        QVERIFY(activate(panel));
        panel.setFocus();
        for (const char* method : { "pq", "grvq", "aqlm" }) {
            QVERIFY(panel.setMethod(QString::fromLatin1(method)));
            QCoreApplication::processEvents();
            auto* first = qobject_cast<QSpinBox*>(panel.form()->editor(panel.form()->schema()->params.front().name));
            QVERIFY(first);
            const int before = first->value();
            QCOMPARE(first->focusPolicy(), Qt::StrongFocus);
            wheelDown(first);
            QCOMPARE(first->value(), before);
            QCOMPARE(panel.presetCombo()->focusPolicy(), Qt::StrongFocus);
        }
    }
};

QTEST_MAIN(TestWheelGuard)
#include "tst_wheelguard.moc"

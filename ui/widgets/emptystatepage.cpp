#include "emptystatepage.h"

#include <QAction>
#include <QHBoxLayout>
#include <QLabel>
#include <QToolButton>
#include <QVBoxLayout>

namespace vq {

namespace {

QToolButton* makeButton(QAction* action, QWidget* parent)
{
    auto* button = new QToolButton(parent);
    button->setDefaultAction(action);
    button->setToolButtonStyle(Qt::ToolButtonTextOnly);
    button->setMinimumSize(160, 40);
    return button;
}

} // namespace

EmptyStatePage::EmptyStatePage(QAction* openAction, QAction* openSampleAction, QWidget* parent)
    : QWidget(parent)
{
    auto* heading = new QLabel(tr("No table loaded"), this);
    QFont headingFont = heading->font();
    headingFont.setPointSizeF(headingFont.pointSizeF() * 1.6);
    headingFont.setBold(true);
    heading->setFont(headingFont);
    heading->setAlignment(Qt::AlignCenter);

    auto* text = new QLabel(tr("Open a checkpoint (safetensors, GGUF, HDF5 or NumPy) to inspect its token-embedding "
                               "table, or drop a file onto this window. The sample is 20000 GloVe word vectors."),
        this);
    text->setWordWrap(true);
    text->setAlignment(Qt::AlignCenter);
    text->setMaximumWidth(520);

    auto* buttons = new QHBoxLayout;
    buttons->addStretch();
    QToolButton* open = makeButton(openAction, this);
    open->setObjectName(QStringLiteral("emptyOpenButton"));
    buttons->addWidget(open);
    QToolButton* sample = makeButton(openSampleAction, this);
    sample->setObjectName(QStringLiteral("emptySampleButton"));
    buttons->addWidget(sample);
    buttons->addStretch();

    auto* layout = new QVBoxLayout(this);
    layout->addStretch();
    layout->addWidget(heading);
    layout->addWidget(text, 0, Qt::AlignHCenter);
    layout->addSpacing(16);
    layout->addLayout(buttons);
    layout->addStretch(2);
}

} // namespace vq

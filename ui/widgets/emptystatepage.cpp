#include "emptystatepage.h"

#include <QAction>
#include <QGridLayout>
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
    // A fixed-width card in the middle of the page; the grid's empty rows and columns centre it.
    auto* card = new QWidget(this);
    card->setFixedWidth(560);

    auto* heading = new QLabel(tr("No table loaded"), card);
    QFont headingFont = heading->font();
    headingFont.setPointSizeF(headingFont.pointSizeF() * 1.6);
    headingFont.setBold(true);
    heading->setFont(headingFont);
    heading->setAlignment(Qt::AlignCenter);

    auto* text = new QLabel(tr("Open a checkpoint (safetensors, GGUF, HDF5 or NumPy) to inspect its token-embedding "
                               "table, or drop a file onto this window. The sample is a table of 20000 GloVe word "
                               "vectors."),
        card);
    text->setWordWrap(true);
    text->setAlignment(Qt::AlignCenter);

    auto* buttons = new QHBoxLayout;
    buttons->addStretch();
    QToolButton* open = makeButton(openAction, card);
    open->setObjectName(QStringLiteral("emptyOpenButton"));
    buttons->addWidget(open);
    QToolButton* sample = makeButton(openSampleAction, card);
    sample->setObjectName(QStringLiteral("emptySampleButton"));
    buttons->addWidget(sample);
    buttons->addStretch();

    auto* cardLayout = new QVBoxLayout(card);
    cardLayout->addWidget(heading);
    cardLayout->addWidget(text);
    cardLayout->addSpacing(16);
    cardLayout->addLayout(buttons);

    auto* layout = new QGridLayout(this);
    layout->addWidget(card, 1, 1);
    layout->setRowStretch(0, 2);
    layout->setRowStretch(2, 3);
    layout->setColumnStretch(0, 1);
    layout->setColumnStretch(2, 1);
}

} // namespace vq

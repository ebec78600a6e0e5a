#include "vq/version.h"

from . import controllers
from . import models
from . import wizards
from .hooks import _post_init_hook

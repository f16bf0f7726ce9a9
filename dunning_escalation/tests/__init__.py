from . import test_dunning_actions
from . import test_dunning_channels
from . import test_dunning_charges
from . import test_dunning_config
from . import test_dunning_delivery
from . import test_dunning_engine
from . import test_dunning_letters
from . import test_invoice_dunning_fields

from . import dunning_policy
from . import dunning_level
from . import dunning_event
from . import res_company
from . import res_config_settings
from . import account_move

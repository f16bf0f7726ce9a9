from . import account_payment_register
from . import dunning_block_wizard
from . import dunning_run_wizard
from . import dunning_waive_wizard

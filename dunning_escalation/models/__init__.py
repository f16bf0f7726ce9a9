from . import account_move
from . import dunning_event
from . import dunning_level
from . import dunning_policy
from . import mail_mail
from . import res_company
from . import res_config_settings
from . import res_partner

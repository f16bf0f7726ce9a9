from . import (
    account_move,
    dunning_event,
    dunning_level,
    dunning_policy,
    res_company,
    res_config_settings,
)

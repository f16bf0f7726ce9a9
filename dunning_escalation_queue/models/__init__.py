from . import dunning_run

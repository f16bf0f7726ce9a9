from . import test_invoice_dunning_fields

from . import pay_link
from . import portal
from . import reply

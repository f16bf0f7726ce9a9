from . import portal
from . import reply

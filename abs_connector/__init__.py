from . import cli, controllers, models, wizard
from .hooks import post_init_hook, post_load, uninstall_hook

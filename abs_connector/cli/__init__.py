from . import abs_api_key

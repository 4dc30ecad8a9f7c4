from . import baselines, floor

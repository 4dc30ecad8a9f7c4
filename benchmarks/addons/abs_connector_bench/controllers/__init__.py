from . import baselines

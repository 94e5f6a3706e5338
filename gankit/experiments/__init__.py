"""Studies across runs: model comparison, the synthetic-data augmentation study and
hyper-parameter sweeps. Each trains normal run folders and reads them back through
:mod:`gankit.runs`; only the CLI imports this package."""

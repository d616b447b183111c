"""Benchmarks as data and their readers: task tables (CLDR, XTREME-R, hub intermediate tasks), file parsers,
loaders, and the record of which data files a run read."""
